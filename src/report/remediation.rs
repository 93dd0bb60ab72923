//! The remediation list: files to delete or restore, registry entries and scheduled tasks to
//! remove, processes to end, addresses to block — each with a command for the analyst to
//! review before running it. Which locations mean what is data (`data/remediation.txt`).

use crate::analyze::Analysis;
use crate::ioc::{IocKind, Scope};
use crate::sample::{Format, Triage};
use crate::tables;
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// What a remediation item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemediationKind {
    /// End a running process.
    EndProcess,
    /// Remove a scheduled task or cron entry.
    RemoveTask,
    /// Remove an autostart registry entry.
    RemoveRegistryEntry,
    /// Delete a dropped file (or the sample itself).
    DeleteFile,
    /// Restore a changed system file from a known-good copy.
    RestoreFile,
    /// Block an address at the firewall.
    BlockAddress,
    /// Block a domain at the resolver or proxy.
    BlockDomain,
}

impl RemediationKind {
    /// A short heading for the kind.
    pub fn label(self) -> &'static str {
        match self {
            RemediationKind::EndProcess => "end process",
            RemediationKind::RemoveTask => "remove scheduled task",
            RemediationKind::RemoveRegistryEntry => "remove registry entry",
            RemediationKind::DeleteFile => "delete file",
            RemediationKind::RestoreFile => "restore file",
            RemediationKind::BlockAddress => "block address",
            RemediationKind::BlockDomain => "block domain",
        }
    }
}

/// One thing to clean up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Remediation {
    /// What to do.
    pub kind: RemediationKind,
    /// What it applies to (path, key, task name, address).
    pub target: String,
    /// A command to review and run (Windows `cmd`, or `sh` for Unix targets).
    pub command: String,
    /// Why it is listed.
    pub reason: String,
}

struct Locations {
    drop: Vec<String>,
    restore: Vec<String>,
    persistence_keys: Vec<String>,
}

fn locations() -> &'static Locations {
    static TABLE: OnceLock<Locations> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Locations {
            drop: Vec::new(),
            restore: Vec::new(),
            persistence_keys: Vec::new(),
        };
        let mut current: Option<&mut Vec<String>> = None;
        for line in tables::entries(tables::REMEDIATION) {
            match line {
                "[drop-locations]" => current = Some(&mut table.drop),
                "[restore-files]" => current = Some(&mut table.restore),
                "[persistence-keys]" => current = Some(&mut table.persistence_keys),
                entry => {
                    if let Some(list) = current.as_deref_mut() {
                        list.push(entry.to_ascii_lowercase());
                    }
                }
            }
        }
        table
    })
}

fn contains_any(value: &str, needles: &[String]) -> bool {
    let lower = value.to_ascii_lowercase();
    needles.iter().any(|n| lower.contains(n.as_str()))
}

/// Quotes a word for `sh`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn is_windows_path(p: &str) -> bool {
    p.contains('\\') || p.starts_with('%')
}

/// The remediation items an analysis supports, sorted by kind and target.
pub fn items(analysis: &Analysis) -> Vec<Remediation> {
    let mut out = BTreeSet::new();
    // Firewall commands for Windows when a Windows sample is involved (or none is known).
    let windows =
        analysis.samples.is_empty() || analysis.samples.iter().any(|t| t.format == Format::Pe);
    for t in &analysis.samples {
        sample_items(t, &mut out);
    }
    let paths: Vec<&str> = analysis
        .extraction
        .iocs
        .iter()
        .filter(|i| i.kind == IocKind::FilePath)
        .map(|i| i.value.as_str())
        .collect();
    for ioc in analysis
        .extraction
        .iocs
        .iter()
        .filter(|i| !i.flags.allowlisted)
    {
        match ioc.kind {
            // A path with other paths under it is a directory: the files in it are listed
            // one by one instead, so a shared folder is never removed wholesale.
            IocKind::FilePath if !is_directory(&ioc.value, &paths) => {
                file_item(&ioc.value, &mut out)
            }
            IocKind::RegistryKey => registry_item(&ioc.value, &mut out),
            IocKind::Ipv4 | IocKind::Ipv6 if blockable(ioc.flags.scope) => {
                let address = ioc.value.clone();
                out.insert(Remediation {
                    kind: RemediationKind::BlockAddress,
                    command: block_command(&address, windows, ioc.kind == IocKind::Ipv6),
                    target: address,
                    reason: "network indicator found in the inputs".to_string(),
                });
            }
            IocKind::Domain if blockable(ioc.flags.scope) => {
                out.insert(Remediation {
                    kind: RemediationKind::BlockDomain,
                    command: format!(
                        "add {} to the DNS resolver's or proxy's block list",
                        ioc.value
                    ),
                    target: ioc.value.clone(),
                    reason: "network indicator found in the inputs".to_string(),
                });
            }
            _ => {}
        }
    }
    out.into_iter().collect()
}

fn block_command(address: &str, windows: bool, v6: bool) -> String {
    // Port and prefix forms (`192.0.2.1:443`, `2001:db8::/32`) block the host or network.
    let host = if v6 {
        address
            .trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or(address)
    } else {
        address.split(':').next().unwrap_or(address)
    };
    if windows {
        format!(
            "netsh advfirewall firewall add rule name=\"spoor block {host}\" dir=out \
             action=block remoteip={host}"
        )
    } else {
        let tool = if v6 { "ip6tables" } else { "iptables" };
        format!("{tool} -I OUTPUT -d {host} -j DROP")
    }
}

fn is_directory(path: &str, all: &[&str]) -> bool {
    all.iter().any(|other| {
        other.len() > path.len() + 1
            && other.is_char_boundary(path.len())
            && other[..path.len()].eq_ignore_ascii_case(path)
            && matches!(other.as_bytes()[path.len()], b'\\' | b'/')
    })
}

/// A printf-style conversion (`%08lx`, `%s`): the path is a template, not a file.
fn has_format_conversion(path: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"%[-+ #0-9.]*(?:l|ll|h|z)?[sdiuxXcp](?:[^A-Za-z%]|$)").ok())
        .as_ref()
        .is_some_and(|re| re.is_match(path))
}

/// Addresses worth blocking: public ones, and documentation ranges (which stand in for real
/// addresses in exercises and test data); never private, loopback or link-local ones.
fn blockable(scope: Option<Scope>) -> bool {
    matches!(
        scope,
        None | Some(Scope::Public) | Some(Scope::Documentation)
    )
}

fn sample_items(t: &Triage, out: &mut BTreeSet<Remediation>) {
    if super::verdict(t) == "no strong signs" {
        return;
    }
    let name = super::base_name(&t.name).to_string();
    let windows = t.format == Format::Pe;
    let dll = t.pe.as_ref().is_some_and(|p| p.dll);
    out.insert(Remediation {
        kind: RemediationKind::EndProcess,
        command: if dll {
            format!("tasklist /m \"{name}\" (then taskkill /f /pid PID for each host process)")
        } else if windows {
            format!("taskkill /f /im \"{name}\"")
        } else {
            format!("pgrep -a -f {} (then kill PID for each)", sh_quote(&name))
        },
        target: if dll {
            format!("processes that loaded {name}")
        } else {
            name.clone()
        },
        reason: format!("the sample ({})", super::verdict(t)),
    });
    out.insert(Remediation {
        kind: RemediationKind::DeleteFile,
        command: if windows {
            format!(
                "powershell -c \"Get-ChildItem C:\\ -Recurse -File -ErrorAction SilentlyContinue \
                 | Get-FileHash | Where-Object Hash -eq '{}' | Select-Object Path\" (then delete \
                 each copy found)",
                t.hashes.sha256.to_ascii_uppercase()
            )
        } else {
            format!(
                "find / -xdev -type f -size {}c -exec sha256sum {{}} + | grep {} (then delete \
                 each copy found)",
                t.size, t.hashes.sha256
            )
        },
        target: format!("{name} (SHA-256 {})", t.hashes.sha256),
        reason: "copies of the sample".to_string(),
    });
    for s in &t.strings {
        if let Some(task) = scheduled_task_name(&s.value) {
            out.insert(Remediation {
                kind: RemediationKind::RemoveTask,
                command: format!("schtasks /delete /tn \"{task}\" /f"),
                target: task,
                reason: format!("{name} creates it: {}", s.value),
            });
        }
    }
}

/// The task name of a `schtasks /create ... /tn NAME` command line.
fn scheduled_task_name(text: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(r#"(?i)schtasks(?:\.exe)?\b.*?/create\b.*?/tn\s+(?:"([^"]+)"|([^\s"]+))"#)
                .ok()
        })
        .as_ref()?;
    let caps = re.captures(text)?;
    let name = caps.get(1).or_else(|| caps.get(2))?.as_str().trim();
    (!name.is_empty() && !name.contains('%')).then(|| name.to_string())
}

fn file_item(path: &str, out: &mut BTreeSet<Remediation>) {
    let table = locations();
    if path.contains('*') || path.ends_with(['\\', '/']) || has_format_conversion(path) {
        return;
    }
    let (kind, reason) = if contains_any(path, &table.restore) {
        (
            RemediationKind::RestoreFile,
            "a system file the sample refers to; compare with a known-good copy",
        )
    } else if contains_any(path, &table.drop) {
        (
            RemediationKind::DeleteFile,
            "a file in a location where malware drops its files",
        )
    } else {
        return;
    };
    let command = match (kind, is_windows_path(path)) {
        (RemediationKind::DeleteFile, true) => format!("del /f /q \"{path}\""),
        (RemediationKind::DeleteFile, false) => format!("rm -f -- {}", sh_quote(path)),
        (_, true) => format!("fc /b \"{path}\" KNOWN-GOOD-COPY"),
        (_, false) => format!("diff -- {} KNOWN-GOOD-COPY", sh_quote(path)),
    };
    out.insert(Remediation {
        kind,
        target: path.to_string(),
        command,
        reason: reason.to_string(),
    });
}

fn registry_item(key: &str, out: &mut BTreeSet<Remediation>) {
    if !contains_any(key, &locations().persistence_keys) {
        return;
    }
    // A key written without its hive (`Software\...`) is looked up under the user's hive;
    // the reason says to check the machine's too.
    let (full, reason) = if key.starts_with("HK") {
        (key.to_string(), "an autostart location named in the inputs")
    } else {
        (
            format!("HKCU\\{key}"),
            "an autostart location named in the inputs without its hive: check HKLM too",
        )
    };
    let lower = full.to_ascii_lowercase();
    // `...\Run\Name`: the value name is known, so the entry can be named exactly.
    let command = ["\\run\\", "\\runonce\\"]
        .iter()
        .find_map(|marker| lower.rfind(marker).map(|at| at + marker.len() - 1))
        .filter(|&cut| cut + 1 < full.len() && !full[cut + 1..].contains('\\'))
        .map(|cut| {
            format!(
                "reg delete \"{}\" /v \"{}\" /f",
                &full[..cut],
                &full[cut + 1..]
            )
        })
        .unwrap_or_else(|| {
            format!("reg query \"{full}\" (then reg delete the entry that starts the sample)")
        });
    out.insert(Remediation {
        kind: RemediationKind::RemoveRegistryEntry,
        target: key.to_string(),
        command,
        reason: reason.to_string(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_names_are_read_from_command_lines() {
        assert_eq!(
            scheduled_task_name(r#"schtasks /create /sc minute /tn "Example Sync" /tr x.exe"#),
            Some("Example Sync".to_string())
        );
        assert_eq!(
            scheduled_task_name("schtasks.exe /Create /TN WinSvcUpd /TR c:\\x.exe"),
            Some("WinSvcUpd".to_string())
        );
        assert_eq!(scheduled_task_name("schtasks /query"), None);
    }

    #[test]
    fn run_values_are_deleted_by_name_and_other_keys_reviewed() {
        let mut out = BTreeSet::new();
        registry_item(
            r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\Updater",
            &mut out,
        );
        registry_item(
            r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run",
            &mut out,
        );
        registry_item(r"HKCU\Software\Example", &mut out);
        let commands: Vec<&str> = out.iter().map(|r| r.command.as_str()).collect();
        assert_eq!(
            commands,
            [
                r#"reg query "HKCU\Software\Microsoft\Windows\CurrentVersion\Run" (then reg delete the entry that starts the sample)"#,
                r#"reg delete "HKCU\Software\Microsoft\Windows\CurrentVersion\Run" /v "Updater" /f"#,
            ]
        );
    }

    #[test]
    fn system_files_are_restored_not_deleted() {
        let mut out = BTreeSet::new();
        file_item("/etc/ld.so.preload", &mut out);
        file_item(r"%APPDATA%\Example\upd.exe", &mut out);
        file_item(r"C:\Windows\System32\vssadmin.exe", &mut out);
        let kinds: Vec<(RemediationKind, &str)> =
            out.iter().map(|r| (r.kind, r.command.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (
                    RemediationKind::DeleteFile,
                    r#"del /f /q "%APPDATA%\Example\upd.exe""#
                ),
                (
                    RemediationKind::RestoreFile,
                    "diff -- '/etc/ld.so.preload' KNOWN-GOOD-COPY"
                ),
            ]
        );
    }
}
