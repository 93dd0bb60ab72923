//! The remediation list: files to delete or restore, registry entries and scheduled tasks to
//! remove, processes to end, addresses to block — each with a command for the analyst to
//! review before running it, or, when a command could be turned against the analyst, a
//! "review by hand" line with the reason.
//!
//! Commands are built from attacker-controlled names, so every value goes through
//! [`crate::escape::shell`]: PowerShell (verbatim single-quoted strings, `-LiteralPath`,
//! exact `-eq` comparisons instead of wildcard parameters) for Windows, `sh` for Unix. A value
//! that cannot be quoted safely (control characters, bidirectional overrides, wildcards
//! where a parameter would expand them) gives no command. Guard rails from
//! `data/remediation.txt` keep directories, user-profile and system locations, files of the
//! operating system's trees and paths that were cut short from ever being deleted: they are
//! listed for review with the reason.

use crate::analyze::InputFindings;
use crate::escape::shell::{powershell, sh, Refusal};
use crate::findings::triage::{SampleFormat, SampleVerdict, Triage};
use crate::ioc::{IocKind, Scope};
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
    /// Unload and remove a macOS launch agent or daemon, disable a systemd unit, remove a
    /// cron entry.
    RemoveAutostart,
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
            RemediationKind::RemoveAutostart => "remove autostart",
            RemediationKind::DeleteFile => "delete file",
            RemediationKind::RestoreFile => "restore file",
            RemediationKind::BlockAddress => "block address",
            RemediationKind::BlockDomain => "block domain",
        }
    }
}

/// What the command of an item is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shell {
    /// Windows PowerShell 5.1 or PowerShell 7.
    PowerShell,
    /// A POSIX shell.
    Sh,
    /// An instruction in words (a resolver's block list), not a command.
    Instruction,
    /// No command: the item is to be reviewed by hand (the reason says why).
    Review,
}

impl Shell {
    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Shell::PowerShell => "PowerShell",
            Shell::Sh => "sh",
            Shell::Instruction => "by hand",
            Shell::Review => "review by hand",
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
    /// A command to review and run in [`Remediation::shell`]; empty for [`Shell::Review`].
    pub command: String,
    /// What the command is written for.
    pub shell: Shell,
    /// Why it is listed (and for a review item, why there is no command).
    pub reason: String,
}

impl Remediation {
    fn new(
        kind: RemediationKind,
        target: impl Into<String>,
        command: Result<(Shell, String), String>,
        reason: impl Into<String>,
    ) -> Self {
        let reason = reason.into();
        match command {
            Ok((shell, command)) => Remediation {
                kind,
                target: target.into(),
                command,
                shell,
                reason,
            },
            Err(why) => Remediation {
                kind,
                target: target.into(),
                command: String::new(),
                shell: Shell::Review,
                reason: format!("{reason}; no command: {why}"),
            },
        }
    }
}

struct Locations {
    drop: Vec<String>,
    restore: Vec<String>,
    persistence_keys: Vec<String>,
    never_delete: Vec<String>,
    profile_roots: Vec<String>,
    os_trees: Vec<String>,
    os_tree_drop: Vec<String>,
}

fn locations() -> &'static Locations {
    static TABLE: OnceLock<Locations> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Locations {
            drop: Vec::new(),
            restore: Vec::new(),
            persistence_keys: Vec::new(),
            never_delete: Vec::new(),
            profile_roots: Vec::new(),
            os_trees: Vec::new(),
            os_tree_drop: Vec::new(),
        };
        let mut current: Option<&mut Vec<String>> = None;
        for line in tables::entries(tables::REMEDIATION) {
            match line {
                "[drop-locations]" => current = Some(&mut table.drop),
                "[restore-files]" => current = Some(&mut table.restore),
                "[persistence-keys]" => current = Some(&mut table.persistence_keys),
                "[never-delete]" => current = Some(&mut table.never_delete),
                "[profile-roots]" => current = Some(&mut table.profile_roots),
                "[os-trees]" => current = Some(&mut table.os_trees),
                "[os-tree-drop-locations]" => current = Some(&mut table.os_tree_drop),
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

fn is_windows_path(p: &str) -> bool {
    p.contains('\\') || p.starts_with('%')
}

/// Why a path must not be deleted by a command, if it must not: the guard rails.
fn not_deletable(path: &str) -> Option<&'static str> {
    let table = locations();
    let windows = is_windows_path(path);
    let sep = if windows { '\\' } else { '/' };
    let lower = path.to_ascii_lowercase();
    if path.contains(['*', '?']) || has_format_conversion(path) {
        return Some("it is a pattern, not one file");
    }
    if path.ends_with(['\\', '/']) {
        return Some("it is a folder");
    }
    if lower.split(['\\', '/']).any(|c| c == "..") {
        return Some("it climbs out of its folder (`..`)");
    }
    let trimmed = lower.trim_end_matches(['\\', '/']);
    if table.never_delete.iter().any(|n| n == trimmed) {
        return Some("it is a user-profile or system location");
    }
    // A drop location itself (`...\AppData\Roaming`), not a file in it.
    let as_folder = format!("{trimmed}{sep}");
    if table.drop.iter().any(|d| as_folder.ends_with(d.as_str())) {
        return Some("it is a folder where programs keep their files, not a file");
    }
    // A user's profile folder (`C:\Users\alice`, `/home/alice`).
    for root in &table.profile_roots {
        if let Some(rest) = trimmed.strip_prefix(root.as_str()) {
            if !rest.is_empty() && !rest.contains(['\\', '/']) {
                return Some("it is a user's profile folder");
            }
        }
    }
    if contains_any(path, &table.os_trees) && !contains_any(path, &table.os_tree_drop) {
        return Some(
            "it lies in the operating system's own tree: compare it with a known-good copy \
             instead",
        );
    }
    if windows {
        let last = path.rsplit(['\\', '/']).next().unwrap_or(path);
        let has_extension = last
            .rsplit_once('.')
            .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty() && !ext.contains(' '));
        if !has_extension {
            return Some(
                "it has no file extension: it may be a folder, or a path cut short at a space \
                 or quote",
            );
        }
    }
    None
}

/// Whether a sighting's context shows the path was cut short: a quote opens before it and
/// does not close right after it, or a quote ends it that did not open before it.
fn cut_in_context(path: &str, context: &str) -> bool {
    let Some(at) = context.find(path) else {
        return false;
    };
    let before = context[..at].chars().next_back();
    let after = context[at + path.len()..].chars().next();
    let quote = |c: Option<char>| matches!(c, Some('"' | '\''));
    // one side quoted, and the quotes do not pair up
    (quote(before) || quote(after)) && before != after
}

/// A PowerShell command deleting one file (and nothing else: a folder at that path is left).
fn delete_command(path: &str) -> Result<(Shell, String), Refusal> {
    if is_windows_path(path) {
        let p = powershell::path(path)?;
        Ok((
            Shell::PowerShell,
            format!(
                "if (Test-Path -LiteralPath {p} -PathType Leaf) {{ Remove-Item -LiteralPath {p} -Force }}"
            ),
        ))
    } else {
        let p = sh::quote(path)?;
        Ok((Shell::Sh, format!("[ -f {p} ] && rm -f -- {p}")))
    }
}

/// A file to delete, or to review when a guard rail holds.
fn delete_item(path: &str, reason: &str, cut: bool, out: &mut BTreeSet<Remediation>) {
    let refusal = if cut {
        Some("it was cut short in the input (it continues past a space or quote)")
    } else {
        not_deletable(path)
    };
    let command = match refusal {
        Some(why) => Err(why.to_string()),
        None => delete_command(path).map_err(str::to_string),
    };
    out.insert(Remediation::new(
        RemediationKind::DeleteFile,
        path,
        command,
        reason,
    ));
}

/// `HKCU\...` as the PowerShell registry provider's path (`Registry::HKEY_CURRENT_USER\...`).
fn registry_path(key: &str) -> Result<String, Refusal> {
    let (hive, rest) = key.split_once('\\').unwrap_or((key, ""));
    let full = match hive.to_ascii_uppercase().as_str() {
        "HKCU" | "HKEY_CURRENT_USER" => "HKEY_CURRENT_USER",
        "HKLM" | "HKEY_LOCAL_MACHINE" => "HKEY_LOCAL_MACHINE",
        "HKU" | "HKEY_USERS" => "HKEY_USERS",
        "HKCR" | "HKEY_CLASSES_ROOT" => "HKEY_CLASSES_ROOT",
        "HKCC" | "HKEY_CURRENT_CONFIG" => "HKEY_CURRENT_CONFIG",
        _ => return Err("its hive is not one of HKCU, HKLM, HKU, HKCR, HKCC"),
    };
    powershell::literal(&format!("Registry::{full}\\{rest}"))
}

fn remove_value_command(key: &str, value: &str) -> Result<(Shell, String), Refusal> {
    powershell::no_wildcards(value)?;
    Ok((
        Shell::PowerShell,
        format!(
            "Remove-ItemProperty -LiteralPath {} -Name {}",
            registry_path(key)?,
            powershell::literal(value)?
        ),
    ))
}

fn task_command(task: &str) -> Result<(Shell, String), Refusal> {
    let full = if task.starts_with('\\') {
        task.to_string()
    } else {
        format!("\\{task}")
    };
    Ok((
        Shell::PowerShell,
        format!(
            "Get-ScheduledTask | Where-Object {{ ($_.TaskPath + $_.TaskName) -eq {} }} | \
             Unregister-ScheduledTask -Confirm:$false",
            powershell::literal(&full)?
        ),
    ))
}

fn service_command(service: &str) -> Result<(Shell, String), Refusal> {
    Ok((
        Shell::PowerShell,
        format!(
            "Get-CimInstance -ClassName Win32_Service | Where-Object Name -eq {} | \
             ForEach-Object {{ Invoke-CimMethod -InputObject $_ -MethodName StopService; \
             Invoke-CimMethod -InputObject $_ -MethodName Delete }}",
            powershell::literal(service)?
        ),
    ))
}

/// A domain as the block-list instruction names it: host-name characters only.
fn domain_instruction(domain: &str) -> Result<(Shell, String), Refusal> {
    let plain = !domain.is_empty()
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !plain {
        return Err("it holds characters that are not part of a host name");
    }
    Ok((
        Shell::Instruction,
        format!("add {domain} to the DNS resolver's or proxy's block list"),
    ))
}

/// The remediation items an analysis supports, sorted by kind and target.
pub fn items(analysis: &InputFindings) -> Vec<Remediation> {
    let mut out = BTreeSet::new();
    // Firewall commands for Windows when a Windows sample is involved (or none is known).
    let windows = analysis.samples.is_empty()
        || analysis
            .samples
            .iter()
            .any(|t| t.format == SampleFormat::Pe);
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
    let samples: BTreeSet<&str> = analysis.samples.iter().map(|t| t.name.as_str()).collect();
    for ioc in analysis
        .extraction
        .iocs
        .iter()
        .filter(|i| !i.flags.allowlisted)
    {
        // the sandbox's own network is not the sample's: never blocked
        let in_sample = ioc.sightings.iter().any(|s| samples.contains(&*s.source));
        if !in_sample && analysis.dynamic.context_of(ioc.kind, &ioc.value).is_some() {
            continue;
        }
        match ioc.kind {
            IocKind::FilePath => {
                let cut = ioc
                    .sightings
                    .iter()
                    .any(|s| cut_in_context(&ioc.value, &s.context));
                // A path with other paths under it is a folder: the files in it are listed
                // one by one instead, so a shared folder is never removed wholesale.
                file_item(&ioc.value, cut, is_directory(&ioc.value, &paths), &mut out)
            }
            IocKind::RegistryKey => registry_item(&ioc.value, &mut out),
            IocKind::Ipv4 | IocKind::Ipv6 if blockable(ioc.flags.scope) => {
                // one rule per address, whatever form (`ip:port`, `::ffff:`) it was seen in
                let address = crate::ioc::split_address(&ioc.value)
                    .map_or_else(|| ioc.value.clone(), |(ip, _)| ip.to_string());
                out.insert(Remediation::new(
                    RemediationKind::BlockAddress,
                    address.clone(),
                    block_command(&address, windows).map_err(str::to_string),
                    "network indicator found in the inputs",
                ));
            }
            IocKind::Domain if blockable(ioc.flags.scope) => {
                out.insert(Remediation::new(
                    RemediationKind::BlockDomain,
                    ioc.value.clone(),
                    domain_instruction(&ioc.value).map_err(str::to_string),
                    "network indicator found in the inputs",
                ));
            }
            _ => {}
        }
    }
    log_items(&analysis.dynamic.remediation, windows, &mut out);
    // One item per target: the same address or file found statically and in the logs.
    let mut seen = BTreeSet::new();
    out.into_iter()
        .filter(|r| seen.insert((r.kind, r.target.to_ascii_lowercase())))
        .collect()
}

/// What the logs saw the sample do, turned into items: these were observed, not inferred.
fn log_items(
    r: &crate::findings::behaviour::Remediation,
    windows: bool,
    out: &mut BTreeSet<Remediation>,
) {
    let reason = "seen in the analysis logs";
    for path in &r.files_to_delete {
        delete_item(path, reason, false, out);
    }
    for path in &r.folders_to_review {
        out.insert(Remediation::new(
            RemediationKind::DeleteFile,
            path.clone(),
            Err("it is a folder: look at what is in it".to_string()),
            "a folder the sample created, seen in the analysis logs",
        ));
    }
    for key in &r.registry_to_remove {
        let full = if key.starts_with("HK") {
            key.clone()
        } else {
            format!("HKCU\\{key}")
        };
        let command = match full.rsplit_once('\\') {
            Some((parent, value)) if !value.is_empty() && parent.contains('\\') => {
                remove_value_command(parent, value)
            }
            _ => Err("it names no value under a key"),
        };
        out.insert(Remediation::new(
            RemediationKind::RemoveRegistryEntry,
            key.clone(),
            command.map_err(str::to_string),
            reason,
        ));
    }
    for task in &r.tasks_to_remove {
        out.insert(Remediation::new(
            RemediationKind::RemoveTask,
            task.clone(),
            task_command(task).map_err(str::to_string),
            reason,
        ));
    }
    for service in &r.services_to_remove {
        out.insert(Remediation::new(
            RemediationKind::RemoveTask,
            format!("service {service}"),
            service_command(service).map_err(str::to_string),
            reason,
        ));
    }
    // Processes are ended by program, never by process id (the ids in the logs are the
    // analysis machine's).
    for image in &r.processes_to_end {
        let windows_path = is_windows_path(image) || image.contains('\\');
        let command = if windows_path || (windows && !image.starts_with('/')) {
            let by_path = is_windows_path(image);
            powershell::literal(image).map(|p| {
                let test = if by_path {
                    format!("$_.Path -eq {p}")
                } else {
                    format!("($_.ProcessName + '.exe') -eq {p}")
                };
                (
                    Shell::PowerShell,
                    format!("Get-Process | Where-Object {{ {test} }} | Stop-Process -Force"),
                )
            })
        } else {
            sh::quote(&format!("^{}( |$)", regex_literal(image)))
                .map(|p| (Shell::Sh, format!("pkill -KILL -f -- {p}")))
        };
        out.insert(Remediation::new(
            RemediationKind::EndProcess,
            image.clone(),
            command.map_err(str::to_string),
            format!("{reason}: running during the analysis"),
        ));
    }
    for cmd in &r.system_processes_to_end {
        let command = powershell::literal(cmd).map(|c| {
            (
                Shell::PowerShell,
                format!(
                    "Get-CimInstance Win32_Process | Where-Object CommandLine -eq {c} | \
                     Invoke-CimMethod -MethodName Terminate"
                ),
            )
        });
        out.insert(Remediation::new(
            RemediationKind::EndProcess,
            cmd.clone(),
            command.map_err(str::to_string),
            format!(
                "{reason}: a system program run during the analysis; only the instance with \
                 this command line ends"
            ),
        ));
    }
    for address in &r.addresses_to_block {
        if let Some((ip, _)) = crate::ioc::split_address(address) {
            let address = ip.to_string();
            out.insert(Remediation::new(
                RemediationKind::BlockAddress,
                address.clone(),
                block_command(&address, windows).map_err(str::to_string),
                reason,
            ));
        } else if !address.contains('/') {
            out.insert(Remediation::new(
                RemediationKind::BlockDomain,
                address.clone(),
                domain_instruction(address).map_err(str::to_string),
                reason,
            ));
        }
    }
}

/// A firewall rule for an address (port and prefix forms, `192.0.2.1:443`,
/// `2001:db8::/32`, block the host); only a parsed address goes into the command.
fn block_command(address: &str, windows: bool) -> Result<(Shell, String), Refusal> {
    let bare = address.trim_start_matches('[');
    let host = bare.split([']', '/']).next().unwrap_or(bare);
    let ip: std::net::IpAddr = match host.parse() {
        Ok(ip) => ip,
        Err(_) => host
            .rsplit_once(':')
            .and_then(|(h, _)| h.parse().ok())
            .ok_or("it is not an IP address")?,
    };
    Ok(if windows {
        (
            Shell::PowerShell,
            format!(
                "New-NetFirewallRule -DisplayName 'spoor block {ip}' -Direction Outbound \
                 -Action Block -RemoteAddress '{ip}'"
            ),
        )
    } else {
        let tool = if ip.is_ipv6() {
            "ip6tables"
        } else {
            "iptables"
        };
        (Shell::Sh, format!("{tool} -I OUTPUT -d {ip} -j DROP"))
    })
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

/// A regular expression matching `text` literally (for `pgrep -f`).
fn regex_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Unix autostart the sample's strings name: macOS launch agents and daemons (unloaded
/// with `launchctl bootout`, then the plist removed), systemd units (disabled and stopped;
/// a unit file in the system's tree is left for review by the guard rails), and cron
/// entries (removed from the user's crontab, or the system files holding them listed).
fn unix_autostart_items<'a>(
    strings: impl Iterator<Item = &'a str>,
    out: &mut BTreeSet<Remediation>,
) {
    static RES: OnceLock<Option<[Regex; 3]>> = OnceLock::new();
    let Some([launchd, systemd, cron]) = RES
        .get_or_init(|| {
            Some([
                Regex::new(r"(~/|/)?(?:Library)/(LaunchAgents|LaunchDaemons)/([A-Za-z0-9._-]+\.plist)")
                    .ok()?,
                Regex::new(
                    r"(/etc/systemd/system/|/lib/systemd/system/|/usr/lib/systemd/system/|\.config/systemd/user/)([A-Za-z0-9@._-]+\.(?:service|timer|socket|path))",
                )
                .ok()?,
                Regex::new(
                    r"^(?:@(?:reboot|hourly|daily|weekly|monthly|yearly|annually)|(?:[*0-9,/-]+\s+){4}[*0-9,/-]+)\s+(\S.*)$",
                )
                .ok()?,
            ])
        })
        .as_ref()
    else {
        return;
    };
    let reason = "autostart the sample's strings name";
    for text in strings {
        let text = text.trim();
        for c in launchd.captures_iter(text) {
            let (prefix, dir, file) = (c.get(1).map_or("", |m| m.as_str()), &c[2], &c[3]);
            let rel = format!("Library/{dir}/{file}");
            let user = prefix != "/";
            let command = if user {
                sh::quote(&rel).map(|q| {
                    format!(
                        "launchctl bootout gui/\"$(id -u)\" \"$HOME\"/{q}; rm -f -- \"$HOME\"/{q}"
                    )
                })
            } else {
                let domain = if dir == "LaunchDaemons" {
                    "system".to_string()
                } else {
                    "gui/\"$(id -u)\"".to_string()
                };
                sh::quote(&format!("/{rel}"))
                    .map(|q| format!("launchctl bootout {domain} {q}; rm -f -- {q}"))
            };
            out.insert(Remediation::new(
                RemediationKind::RemoveAutostart,
                if user {
                    format!("~/{rel}")
                } else {
                    format!("/{rel}")
                },
                command.map(|c| (Shell::Sh, c)).map_err(str::to_string),
                format!(
                    "{reason} (a launchd {})",
                    if dir == "LaunchDaemons" {
                        "daemon"
                    } else {
                        "agent"
                    }
                ),
            ));
        }
        for c in systemd.captures_iter(text) {
            let user = c[1].starts_with(".config");
            let command = sh::quote(&c[2]).map(|u| {
                if user {
                    format!("systemctl --user disable --now {u}")
                } else {
                    format!("systemctl disable --now {u}")
                }
            });
            out.insert(Remediation::new(
                RemediationKind::RemoveAutostart,
                format!("systemd unit {}", &c[2]),
                command.map(|c| (Shell::Sh, c)).map_err(str::to_string),
                format!(
                    "{reason} (stopped and disabled; its unit file is listed to delete or review)"
                ),
            ));
        }
        if let Some(c) = cron.captures(text) {
            let words: Vec<&str> = c[1].split_whitespace().collect();
            // a system crontab line names the user before the command
            let system = words.len() > 1
                && words[0]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && (words[1].starts_with('/') || words[1].starts_with('.'));
            let command = sh::quote(text).map(|line| {
                if system {
                    format!("grep -rlxF -- {line} /etc/crontab /etc/cron.d")
                } else {
                    format!("crontab -l | grep -vxF -- {line} | crontab -")
                }
            });
            out.insert(Remediation::new(
                RemediationKind::RemoveAutostart,
                format!("cron entry {text}"),
                command.map(|c| (Shell::Sh, c)).map_err(str::to_string),
                if system {
                    format!("{reason}: the command lists the system crontab files holding this line; remove it from each")
                } else {
                    format!("{reason}: removed from the user's crontab")
                },
            ));
        }
    }
}

fn sample_items(t: &Triage, out: &mut BTreeSet<Remediation>) {
    if t.verdict.verdict == SampleVerdict::NoStrongSigns {
        return;
    }
    if t.format != SampleFormat::Pe {
        unix_autostart_items(t.strings.iter().map(|s| s.value.as_str()), out);
    }
    let name = super::base_name(&t.name).to_string();
    let windows = t.format == SampleFormat::Pe;
    let dll = t.pe.as_ref().is_some_and(|p| p.dll);
    let end = if dll {
        powershell::literal(&name).map(|n| {
            (
                Shell::PowerShell,
                format!(
                    "Get-Process | Where-Object {{ $_.Modules.ModuleName -contains {n} }} | \
                     Stop-Process -Force"
                ),
            )
        })
    } else if windows {
        let stem = match name.len().checked_sub(4) {
            Some(cut) if name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(".exe") => {
                &name[..cut]
            }
            _ => name.as_str(),
        };
        powershell::literal(stem).map(|n| {
            (
                Shell::PowerShell,
                format!("Get-Process | Where-Object ProcessName -eq {n} | Stop-Process -Force"),
            )
        })
    } else {
        sh::quote(&regex_literal(&name)).map(|n| (Shell::Sh, format!("pkill -KILL -f -- {n}")))
    };
    out.insert(Remediation::new(
        RemediationKind::EndProcess,
        if dll {
            format!("processes that loaded {name}")
        } else {
            name.clone()
        },
        end.map_err(str::to_string),
        format!("the sample ({})", super::verdict(t)),
    ));
    // The hash is spoor's own hex digest, never input text.
    let copies = if windows {
        (
            Shell::PowerShell,
            format!(
                "Get-ChildItem -LiteralPath 'C:\\' -Recurse -File -Force -ErrorAction \
                 SilentlyContinue | Get-FileHash -Algorithm SHA256 | Where-Object Hash -eq '{}' \
                 | Select-Object Path (then delete each copy found)",
                t.hashes.sha256.to_ascii_uppercase()
            ),
        )
    } else {
        (
            Shell::Sh,
            format!(
                "find / -xdev -type f -size {}c -exec sha256sum {{}} + | grep {} (then delete \
                 each copy found)",
                t.size, t.hashes.sha256
            ),
        )
    };
    out.insert(Remediation::new(
        RemediationKind::DeleteFile,
        format!("{name} (SHA-256 {})", t.hashes.sha256),
        Ok(copies),
        "copies of the sample",
    ));
    for s in &t.strings {
        if let Some(task) = scheduled_task_name(&s.value) {
            out.insert(Remediation::new(
                RemediationKind::RemoveTask,
                task.clone(),
                task_command(&task).map_err(str::to_string),
                format!("{name} creates it: {}", s.value),
            ));
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

/// A path named in the inputs: deleted when it lies where malware drops files, compared
/// when it is a system file the sample changes, otherwise not listed.
fn file_item(path: &str, cut: bool, folder: bool, out: &mut BTreeSet<Remediation>) {
    if crate::findings::benign::is_benign_file(path) {
        return; // Windows' own (Explorer's icon cache, ...): not the sample's
    }
    let table = locations();
    if contains_any(path, &table.restore) {
        let command = if cut {
            Err("it was cut short in the input (it continues past a space or quote)")
        } else if is_windows_path(path) {
            powershell::path(path).map(|p| {
                (
                    Shell::PowerShell,
                    format!("Get-FileHash -LiteralPath {p} (compare with a known-good copy)"),
                )
            })
        } else {
            sh::quote(path).map(|p| (Shell::Sh, format!("diff -- {p} KNOWN-GOOD-COPY")))
        };
        out.insert(Remediation::new(
            RemediationKind::RestoreFile,
            path,
            command.map_err(str::to_string),
            "a system file the sample refers to; compare with a known-good copy",
        ));
    } else if contains_any(path, &table.drop) {
        let reason = "a file in a location where malware drops its files";
        if folder {
            out.insert(Remediation::new(
                RemediationKind::DeleteFile,
                path,
                Err("other paths lie under it: it is a folder".to_string()),
                reason,
            ));
        } else {
            delete_item(path, reason, cut, out);
        }
    }
}

fn registry_item(key: &str, out: &mut BTreeSet<Remediation>) {
    if !contains_any(key, &locations().persistence_keys)
        || crate::findings::benign::is_benign_key(key)
    {
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
    let command = match ["\\run\\", "\\runonce\\"]
        .iter()
        .find_map(|marker| lower.rfind(marker).map(|at| at + marker.len() - 1))
        .filter(|&cut| cut + 1 < full.len() && !full[cut + 1..].contains('\\'))
    {
        Some(cut) => remove_value_command(&full[..cut], &full[cut + 1..]),
        None => registry_path(&full).map(|p| {
            (
                Shell::PowerShell,
                format!(
                    "Get-ItemProperty -LiteralPath {p} (then remove the entry that starts the \
                     sample with Remove-ItemProperty)"
                ),
            )
        }),
    };
    out.insert(Remediation::new(
        RemediationKind::RemoveRegistryEntry,
        key,
        command.map_err(str::to_string),
        reason,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(out: &BTreeSet<Remediation>) -> Vec<(Shell, &str)> {
        out.iter().map(|r| (r.shell, r.command.as_str())).collect()
    }

    #[test]
    fn unix_autostart_is_unloaded_disabled_and_removed() {
        let mut out = BTreeSet::new();
        unix_autostart_items(
            [
                "Library/LaunchAgents/com.example.orchard.agent.plist",
                "/Library/LaunchDaemons/com.example.d.plist",
                "/etc/systemd/system/burrow-update.service",
                "* * * * * root /usr/lib/.burrow/burrowd >/dev/null 2>&1",
                "@reboot /tmp/x",
                "not a cron line",
            ]
            .into_iter(),
            &mut out,
        );
        let c = commands(&out);
        assert!(c.contains(&(
            Shell::Sh,
            "launchctl bootout gui/\"$(id -u)\" \"$HOME\"/'Library/LaunchAgents/com.example.orchard.agent.plist'; rm -f -- \"$HOME\"/'Library/LaunchAgents/com.example.orchard.agent.plist'"
        )));
        assert!(c.contains(&(
            Shell::Sh,
            "launchctl bootout system '/Library/LaunchDaemons/com.example.d.plist'; rm -f -- '/Library/LaunchDaemons/com.example.d.plist'"
        )));
        assert!(c.contains(&(Shell::Sh, "systemctl disable --now 'burrow-update.service'")));
        assert!(c.contains(&(
            Shell::Sh,
            "grep -rlxF -- '* * * * * root /usr/lib/.burrow/burrowd >/dev/null 2>&1' /etc/crontab /etc/cron.d"
        )));
        assert!(c.contains(&(
            Shell::Sh,
            "crontab -l | grep -vxF -- '@reboot /tmp/x' | crontab -"
        )));
        assert_eq!(out.len(), 5);
        // a hostile name never leaves its quotes
        let mut out = BTreeSet::new();
        unix_autostart_items(["Library/LaunchAgents/a'b.plist"].into_iter(), &mut out);
        assert!(out.iter().all(|r| !r.command.contains("a'b")));
    }

    #[test]
    fn processes_end_by_program_never_by_pid() {
        let mut r = crate::findings::behaviour::Remediation::default();
        r.processes_to_end
            .insert("C:\\Users\\a\\AppData\\Local\\Temp\\x.exe".to_string());
        r.system_processes_to_end
            .insert("rundll32.exe \"C:\\Users\\a\\x.dll\",Start".to_string());
        let mut out = BTreeSet::new();
        log_items(&r, true, &mut out);
        let c = commands(&out);
        assert!(c.contains(&(
            Shell::PowerShell,
            "Get-Process | Where-Object { $_.Path -eq 'C:\\Users\\a\\AppData\\Local\\Temp\\x.exe' } | Stop-Process -Force"
        )));
        assert!(c.contains(&(
            Shell::PowerShell,
            "Get-CimInstance Win32_Process | Where-Object CommandLine -eq 'rundll32.exe \"C:\\Users\\a\\x.dll\",Start' | Invoke-CimMethod -MethodName Terminate"
        )));
        assert!(out
            .iter()
            .all(|i| !i.command.contains("-Id ") && !i.target.contains("(")));
    }

    #[test]
    fn explorer_state_is_not_the_samples() {
        let mut out = BTreeSet::new();
        file_item(
            "C:\\Users\\a\\AppData\\Local\\Microsoft\\Windows\\Explorer\\iconcache_48.db",
            false,
            false,
            &mut out,
        );
        registry_item(
            "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.exe\\0",
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
    }

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
        registry_item(
            r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\*",
            &mut out,
        );
        registry_item(r"HKCU\Software\Example", &mut out);
        assert_eq!(
            commands(&out),
            [
                (
                    Shell::PowerShell,
                    r"Get-ItemProperty -LiteralPath 'Registry::HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run' (then remove the entry that starts the sample with Remove-ItemProperty)"
                ),
                (Shell::Review, ""),
                (
                    Shell::PowerShell,
                    r"Remove-ItemProperty -LiteralPath 'Registry::HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run' -Name 'Updater'"
                ),
            ]
        );
    }

    #[test]
    fn system_files_are_restored_not_deleted() {
        let mut out = BTreeSet::new();
        file_item("/etc/ld.so.preload", false, false, &mut out);
        file_item(r"%APPDATA%\Example\upd.exe", false, false, &mut out);
        file_item(r"C:\Windows\System32\vssadmin.exe", false, false, &mut out);
        let kinds: Vec<(RemediationKind, &str)> =
            out.iter().map(|r| (r.kind, r.command.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (
                    RemediationKind::DeleteFile,
                    r"if (Test-Path -LiteralPath (Join-Path $env:APPDATA 'Example\upd.exe') -PathType Leaf) { Remove-Item -LiteralPath (Join-Path $env:APPDATA 'Example\upd.exe') -Force }"
                ),
                (
                    RemediationKind::RestoreFile,
                    "diff -- '/etc/ld.so.preload' KNOWN-GOOD-COPY"
                ),
            ]
        );
    }

    #[test]
    fn guard_rails_keep_folders_profiles_and_system_files() {
        for path in [
            r"%USERPROFILE%\Documents",
            r"%USERPROFILE%",
            r"C:\Users\Public\Documents",
            r"C:\Users\alice",
            r"C:\Windows\System32\ntoskrnl.exe",
            r"C:\Program Files\Common Files\x.dll",
            r"%APPDATA%\Microsoft\Windows\Start Menu\Programs\Startup",
            r"C:\Users\Public\My",
            r"%TEMP%\..\..\Windows\win.ini",
            r"%TEMP%\",
            "/home/alice",
            "/tmp",
            "/usr/bin/ls",
        ] {
            assert!(not_deletable(path).is_some(), "{path} must not be deleted");
        }
        for path in [
            r"%APPDATA%\Example\upd.exe",
            r"C:\Users\alice\AppData\Local\Temp\x.dll",
            r"C:\Windows\Temp\dropper.exe",
            "/tmp/.x/payload",
        ] {
            assert_eq!(not_deletable(path), None, "{path} may be deleted");
        }
    }

    #[test]
    fn quoted_paths_cut_at_a_space_are_seen() {
        assert!(cut_in_context(
            r"C:\Users\Public\My",
            r#"copy "C:\Users\Public\My Documents\x.exe" ."#
        ));
        assert!(cut_in_context(r"C:\x", r#"run C:\x" & calc"#));
        assert!(!cut_in_context(r"C:\x.exe", r#"run "C:\x.exe" now"#));
        assert!(!cut_in_context(r"C:\x.exe", r"run C:\x.exe now"));
    }

    #[test]
    fn hostile_names_never_leave_their_quotes() {
        let mut out = BTreeSet::new();
        let logs = crate::findings::behaviour::Remediation {
            files_to_delete: [r#"C:\Users\a\AppData\Local\Temp\x" & calc.exe & ".exe"#]
                .map(String::from)
                .into(),
            tasks_to_remove: ["x' ; calc ; '".to_string()].into(),
            services_to_remove: ["svc\u{2019}; calc; \u{2018}".to_string()].into(),
            registry_to_remove: [
                r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\a' ; calc ; '".to_string(),
            ]
            .into(),
            ..Default::default()
        };
        log_items(&logs, true, &mut out);
        for r in &out {
            assert_eq!(r.shell, Shell::PowerShell, "{r:?}");
            // every quote in a value is doubled, so the quotes in each command pair up
            let quotes = r
                .command
                .chars()
                .filter(|c| matches!(c, '\'' | '\u{2018}' | '\u{2019}'))
                .count();
            assert_eq!(quotes % 2, 0, "{}", r.command);
            assert!(
                !r.command.contains("del ") && !r.command.contains("cmd"),
                "{}",
                r.command
            );
        }
        assert!(out.iter().any(|r| r
            .command
            .contains(r#"'C:\Users\a\AppData\Local\Temp\x" & calc.exe & ".exe'"#)));
        assert!(out
            .iter()
            .any(|r| r.command.contains(r"-eq '\x'' ; calc ; '''")));
    }
}
