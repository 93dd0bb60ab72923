//! What is benign whoever does it: Windows' own bookkeeping in the registry, files and
//! scheduled tasks it writes by itself, the folders programs are trusted from
//! (`data/benign-activity.txt`), and the system folders and publishers
//! (`data/system-files.txt`). The log reader leaves such activity out of the findings, and
//! the report and the exports never tell an analyst to remove it.

use std::sync::OnceLock;

/// The known-benign Windows activity table (`data/benign-activity.txt`).
pub const BENIGN_ACTIVITY: &str = include_str!("../../data/benign-activity.txt");

/// Known-benign activity, by kind (patterns lower case, in their match form).
#[derive(Debug, Default)]
pub struct Benign {
    /// Registry keys and values Windows writes by itself.
    pub registry: Vec<String>,
    /// Scheduled tasks (name prefixes) Windows, Office and Defender register.
    pub tasks: Vec<String>,
    /// Files Windows writes by itself.
    pub files: Vec<String>,
    /// Programs that make BITS jobs by themselves.
    pub bits_clients: Vec<String>,
    /// Folders programs are trusted from.
    pub trusted_dirs: Vec<String>,
}

/// The embedded table.
pub fn benign() -> &'static Benign {
    static BENIGN: OnceLock<Benign> = OnceLock::new();
    BENIGN.get_or_init(|| {
        let mut b = Benign::default();
        for line in crate::tables::entries(BENIGN_ACTIVITY) {
            let Some((kind, pattern)) = line.split_once(char::is_whitespace) else {
                continue;
            };
            let pattern = match_form(pattern.trim());
            match kind {
                "registry" => b.registry.push(pattern),
                "task" => b.tasks.push(pattern),
                "file" => b.files.push(pattern),
                "bits-client" => b.bits_clients.push(pattern),
                "trusted-dir" => b.trusted_dirs.push(pattern),
                _ => {}
            }
        }
        b
    })
}

/// The form rules and tables are matched in: lower case, `ControlSet00N` as
/// `CurrentControlSet`.
pub fn match_form(text: &str) -> String {
    let mut lower = text.to_lowercase();
    if lower.contains("\\controlset00") {
        for n in 1..=9 {
            lower = lower.replace(&format!("\\controlset00{n}\\"), "\\currentcontrolset\\");
        }
    }
    lower
}

/// Whether a registry value or key is one Windows writes by itself (its own bookkeeping,
/// `data/benign-activity.txt`).
pub fn is_benign_key(key: &str) -> bool {
    let key = match_form(key);
    benign().registry.iter().any(|p| key.contains(p.as_str()))
}

/// Whether a file is one Windows writes by itself for its own tasks
/// (`data/benign-activity.txt`).
pub fn is_benign_file(path: &str) -> bool {
    let path = match_form(path);
    benign().files.iter().any(|p| path.contains(p.as_str()))
}

/// The system folders and publishers table (`data/system-files.txt`).
pub const SYSTEM_FILES: &str = include_str!("../../data/system-files.txt");

struct SystemFiles {
    dirs: Vec<String>,
    signers: Vec<String>,
}

fn system_files() -> &'static SystemFiles {
    static TABLE: OnceLock<SystemFiles> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = SystemFiles {
            dirs: Vec::new(),
            signers: Vec::new(),
        };
        for line in crate::tables::entries(SYSTEM_FILES) {
            match line.split_once(char::is_whitespace) {
                Some(("dir", d)) => t.dirs.push(d.trim().to_lowercase()),
                Some(("signer", n)) => t.signers.push(n.trim().to_lowercase()),
                _ => {}
            }
        }
        t
    })
}

/// Whether a publisher name (a signature's subject) is one the system files are signed by.
pub fn system_signer(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    system_files().signers.contains(&n)
}

/// Whether a path is under one of the system folders of `data/system-files.txt`.
pub fn in_system_dir(path: &str) -> bool {
    let p = path
        .trim()
        .trim_matches('"')
        .to_lowercase()
        .replace('/', "\\");
    let p = p.trim_start_matches("\\\\?\\");
    system_files()
        .dirs
        .iter()
        .any(|d| p.starts_with(&d.replace('/', "\\")))
}
