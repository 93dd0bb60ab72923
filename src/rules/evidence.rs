//! What kind of evidence a candidate string is, decided by where it sits and what it is:
//!
//! - **unique**: may count toward a rule's threshold, and match alone when it scores high;
//! - **supporting**: common to many programs (API and DLL names, user agents, VM and
//!   analysis-tool names, generic registry keys and system paths from
//!   `data/rules-common.txt`, imported function names, copyright lines, strings a benign file
//!   of the validation set holds, strings of a statically linked third-party library found
//!   beside its source paths ([`super::linked`])): it may support a rule but never counts
//!   toward its threshold alone;
//! - **borrowed**: put there by the toolchain or a third party, never used: toolchain
//!   boilerplate ([`super::toolchain`]), anything inside the PE headers, the Authenticode
//!   signature, the manifest resource or the relocation and exception tables, certificate
//!   URLs (CRL, OCSP, CPS, issuer certificates) and library banners.

use super::candidates::Candidate;
use super::toolchain::{self, Matcher};
use std::sync::OnceLock;

const COMMON: &str = include_str!("../../data/rules-common.txt");

/// The kind of evidence a string is, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// Counts toward a rule's threshold; matches alone when strong.
    Unique,
    /// Supports a rule; never counts toward its threshold alone.
    Supporting(String),
    /// Never used.
    Borrowed(String),
}

impl Evidence {
    /// Whether the string may count toward a rule's threshold.
    pub fn is_unique(&self) -> bool {
        matches!(self, Evidence::Unique)
    }

    /// Whether the string may go into a rule at all.
    pub fn is_usable(&self) -> bool {
        !matches!(self, Evidence::Borrowed(_))
    }
}

/// `data/rules-common.txt`, compiled once.
pub fn common() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| Matcher::new(toolchain::parse("common", COMMON).0))
}

/// Classifies a candidate. Location tags come from [`super::candidates`]: `signature`
/// (inside the PE certificate table), `manifest` (inside an RT_MANIFEST resource).
pub fn classify(c: &Candidate) -> Evidence {
    let t = c.text.as_str();
    if c.has("signature") {
        return Evidence::Borrowed("in the Authenticode signature".into());
    }
    if c.has("manifest") {
        return Evidence::Borrowed("in the manifest resource".into());
    }
    if c.has("header") {
        return Evidence::Borrowed("in the file headers".into());
    }
    if c.has("structure") {
        return Evidence::Borrowed("in the relocation or exception table".into());
    }
    if let Some(e) = toolchain::boilerplate(t) {
        return Evidence::Borrowed(format!("toolchain boilerplate ({e})"));
    }
    if certificate_url(t) {
        return Evidence::Borrowed("certificate URL (CRL, OCSP, CPS or issuer)".into());
    }
    if let Some(krate) = c.tags.iter().find_map(|t| t.strip_prefix("linked:")) {
        return Evidence::Supporting(format!(
            "string of the statically linked crate {krate} (beside its source paths)"
        ));
    }
    if let Some(e) = common().find(t) {
        return Evidence::Supporting(format!("common string ({}: {})", e.category, e.value));
    }
    if c.has("api") {
        return Evidence::Supporting("API name".into());
    }
    if c.has("import") {
        return Evidence::Supporting("imported function or library name".into());
    }
    // A library's name is common; a full path to a library is the program's own choice.
    if c.has("dll") && !t.contains(['/', '\\']) {
        return Evidence::Supporting("library name".into());
    }
    if copyright(t) {
        return Evidence::Supporting("copyright line".into());
    }
    Evidence::Unique
}

/// A URL of a certificate's infrastructure: CRL distribution points, OCSP responders,
/// issuer certificates and certification practice statements, as X.509 extensions hold
/// them (DER often leaves one printable byte of the next field after the URL, as in
/// `...pca3-g5.crl0`).
pub fn certificate_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let Some(at) = lower.find("://") else {
        return false;
    };
    let rest = &lower[at + 3..];
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_is_pki = host.starts_with("crl")
        || host.starts_with("ocsp")
        || host.contains(".crl.")
        || host.contains(".ocsp.")
        || host.starts_with("cacerts")
        || host.starts_with("pki.");
    // Strip at most one trailing DER byte that happens to be printable.
    let trimmed = path
        .strip_suffix(|c: char| c.is_ascii_alphanumeric())
        .filter(|p| {
            [".crl", ".crt", ".cer", ".p7c", ".p7b"]
                .iter()
                .any(|e| p.ends_with(e))
        })
        .unwrap_or(path);
    let path_is_pki = [".crl", ".crt", ".cer", ".p7c", ".p7b"]
        .iter()
        .any(|e| trimmed.ends_with(e))
        || path.starts_with("cps")
        || path.starts_with("repository")
        || path.starts_with("pki/")
        || path.starts_with("pkiops/");
    host_is_pki || path_is_pki
}

/// A copyright line: `Copyright`, `(c)` or `©` with a year, or `All rights reserved`.
pub fn copyright(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if lower.contains("all rights reserved") {
        return true;
    }
    let marked = lower.contains("copyright") || lower.contains("(c)");
    let year = text.as_bytes().windows(4).any(|w| {
        w.iter().all(u8::is_ascii_digit)
            && (w[0] == b'1' && w[1] == b'9' || w[0] == b'2' && w[1] == b'0')
    });
    marked && year
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(text: &str, tags: &[&str]) -> Candidate {
        Candidate::for_test(text, tags)
    }

    #[test]
    fn location_decides_before_content() {
        let c = cand("Magpie Software Ltd", &["signature"]);
        assert!(matches!(classify(&c), Evidence::Borrowed(_)));
        let c = cand("<description>magpie</description>", &["manifest"]);
        assert!(matches!(classify(&c), Evidence::Borrowed(_)));
        let c = cand("@.eh_framh", &["header"]);
        assert!(matches!(classify(&c), Evidence::Borrowed(_)));
        let c = cand("6E6O6U6c6j6", &["structure"]);
        assert!(matches!(classify(&c), Evidence::Borrowed(_)));
        let c = cand("CompareStringA", &["import"]);
        assert!(matches!(classify(&c), Evidence::Supporting(_)));
        assert_eq!(
            classify(&cand("Magpie Software Ltd", &[])),
            Evidence::Unique
        );
    }

    #[test]
    fn certificate_urls_are_not_network_evidence() {
        for u in [
            "http://s1.symcb.com/pca3-g5.crl0",
            "http://crl3.example.com/sha2-assured-cs-g1.crl0",
            "http://ocsp.example.com0C",
            "http://cacerts.example.net/Assured.crt0",
            "https://www.example.org/cps0",
            "http://pki.example.com/root.cer",
        ] {
            assert!(certificate_url(u), "{u}");
            assert!(
                matches!(classify(&cand(u, &["url"])), Evidence::Borrowed(_)),
                "{u}"
            );
        }
        for u in [
            "http://203.0.113.7/gate.php",
            "https://update.example.com/crlf/check",
            "http://example.org/download/setup.exe",
        ] {
            assert!(!certificate_url(u), "{u}");
        }
    }

    #[test]
    fn common_strings_only_support() {
        for s in [
            "Mozilla/5.0",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)",
            "VBoxService.exe",
            "vmtoolsd.exe",
            "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
            "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
            "\\\\.\\VBoxMiniRdrDN",
        ] {
            assert!(
                matches!(classify(&cand(s, &[])), Evidence::Supporting(_)),
                "{s}"
            );
        }
        let api = cand("CheckRemoteDebuggerPresent", &["api"]);
        assert!(matches!(classify(&api), Evidence::Supporting(_)));
        let dll = cand("wininet.dll", &["dll"]);
        assert!(matches!(classify(&dll), Evidence::Supporting(_)));
        let own = cand("/usr/lib/.burrow/libburrow.so", &["dll", "path"]);
        assert_eq!(classify(&own), Evidence::Unique);
        // A joined list of such names is the program's own (its order and separator), as is
        // the program's own value under a generic key.
        let list = cand(
            "x64dbg.exe|ollydbg.exe|ProcessHacker.exe|Wireshark.exe|procmon.exe",
            &[],
        );
        assert_eq!(classify(&list), Evidence::Unique);
        let own = cand(
            "Software\\Microsoft\\Windows\\CurrentVersion\\Run\\MagpieUpdater",
            &["registry"],
        );
        assert_eq!(classify(&own), Evidence::Unique);
    }

    #[test]
    fn the_common_table_parses_and_every_entry_matches_itself() {
        let (entries, errors) = toolchain::parse("common", COMMON);
        assert!(errors.is_empty(), "{errors:?}");
        for e in &entries {
            let probe = match e.kind {
                toolchain::Kind::Key => format!("HKLM\\{}", e.value.trim_start_matches("key:")),
                toolchain::Kind::IExact => e.value.trim_start_matches("i:").to_string(),
                _ => e.value.clone(),
            };
            assert!(common().find(&probe).is_some(), "{e}");
        }
    }

    #[test]
    fn copyright_lines_only_support() {
        assert!(copyright("Copyright (C) 2019 Example Corp."));
        assert!(copyright("(c) 1998-2004 someone"));
        assert!(copyright("Example Ltd. All rights reserved."));
        assert!(!copyright("copyright holder unknown"));
        assert!(matches!(
            classify(&cand("Copyright (C) 2019 Example Corp.", &[])),
            Evidence::Supporting(_)
        ));
    }

    #[test]
    fn strings_of_linked_crates_only_support() {
        let c = cand(
            "Max stack size exceeded for backtracking",
            &["linked:fancy-regex"],
        );
        match classify(&c) {
            Evidence::Supporting(why) => assert!(why.contains("fancy-regex"), "{why}"),
            e => panic!("{e:?}"),
        }
        // Location still decides first.
        let c = cand("Magpie Software Ltd", &["linked:pyo3", "signature"]);
        assert!(matches!(classify(&c), Evidence::Borrowed(_)));
    }

    #[test]
    fn toolchain_boilerplate_is_borrowed() {
        for s in [
            ".rdata$zzzdbg",
            "_except_handler3",
            "api-ms-win-core-synch-l1-2-0",
        ] {
            assert!(
                matches!(classify(&cand(s, &[])), Evidence::Borrowed(_)),
                "{s}"
            );
        }
    }
}
