//! Registry key spelling: the one normaliser every stage uses (the IOC scanner, the log
//! analysis, remediation), so that a key has the same text wherever it was found.
//!
//! Hives are shortened (`HKEY_LOCAL_MACHINE` → `HKLM`, `\REGISTRY\MACHINE` → `HKLM`), and
//! a user's hive named by SID, as Sysmon writes it, becomes the portable form: `HKU\<SID>\x`
//! is `HKCU\x` and `HKU\<SID>_Classes\x` (any case) is `HKCU\Software\Classes\x`, so rules
//! written for `\Software\Classes\CLSID\` match Sysmon's spelling too.

use super::scan::{hive_short_name, registry_value};

/// A registry key or value path with its hive normalised; text that does not start with a
/// hive is returned trimmed, unchanged otherwise.
pub fn normalize_key(raw: &str) -> String {
    let key = raw.trim().trim_start_matches('\\');
    let (hive, rest) = key.split_once('\\').unwrap_or((key, ""));
    if hive.eq_ignore_ascii_case("registry") {
        let (sub, tail) = rest.split_once('\\').unwrap_or((rest, ""));
        let short = if sub.eq_ignore_ascii_case("machine") {
            "HKLM"
        } else if sub.eq_ignore_ascii_case("user") {
            "HKU"
        } else {
            return key.to_string();
        };
        return join(short, tail);
    }
    match hive_short_name(hive.as_bytes()) {
        Some(short) => join(short, rest),
        None => key.to_string(),
    }
}

fn join(hive: &str, rest: &str) -> String {
    if rest.is_empty() {
        hive.to_string()
    } else {
        registry_value(hive, rest)
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_key;

    #[test]
    fn hives_and_user_sids() {
        let cases = [
            (
                "HKU\\S-1-5-21-1-2-3-1001\\Software\\Run",
                "HKCU\\Software\\Run",
            ),
            ("HKEY_LOCAL_MACHINE\\SOFTWARE\\x", "HKLM\\SOFTWARE\\x"),
            (
                "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet",
                "HKLM\\SYSTEM\\CurrentControlSet",
            ),
            (
                "\\REGISTRY\\USER\\S-1-5-21-1-2-3-1001\\Environment",
                "HKCU\\Environment",
            ),
            ("HKU\\.DEFAULT\\x", "HKU\\.DEFAULT\\x"),
            // Sysmon's spelling of a user's classes hive, in both cases
            (
                "HKU\\S-1-5-21-1-2-3-1001_CLASSES\\CLSID\\{0}\\InprocServer32\\(Default)",
                "HKCU\\Software\\Classes\\CLSID\\{0}\\InprocServer32\\(Default)",
            ),
            (
                "HKU\\S-1-5-21-1-2-3-1001_Classes\\CLSID\\{0}",
                "HKCU\\Software\\Classes\\CLSID\\{0}",
            ),
            ("hkcu", "HKCU"),
            ("Software\\x", "Software\\x"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_key(raw), want, "{raw}");
        }
    }
}
