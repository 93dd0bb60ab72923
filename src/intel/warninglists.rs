//! Known-benign context: MISP warning lists (public DNS resolvers, CDN and cloud ranges,
//! software update hosts, top sites) as entries of the intelligence store, so indicators on
//! them are flagged (never dropped) in every output.
//!
//! A chosen subset ships in `data/warninglists/` (converted from the PyPI package
//! `pymispwarninglists` by `data/warninglists/convert.py`; version and licence in
//! `data/warninglists/SOURCE.md`); `--warninglists DIR` reads newer ones from a folder in the
//! misp-warninglists layout (`DIR/NAME/list.json`) or of `NAME.json` files. Each entry
//! becomes a feed entry named `warninglist:NAME`, tagged `known-benign` and with the list's
//! description. `cidr` lists give ranges; `hostname` and `string` lists give exact names
//! (an entry written `.example.com` covers the subdomains); `substring` and `regex` lists
//! are not read (a warning counts them).

use super::feeds::{entries_skipped, feed_skipped};
use super::{Entry, Meta, Store};
use crate::error::{Error, Warning};
use serde_json::Value;
use std::path::Path;

/// The tag every warning-list entry carries.
pub const KNOWN_BENIGN: &str = "known-benign";

/// The lists shipped in `data/warninglists/`.
const BUILTIN: &[(&str, &str)] = &[
    (
        "public-dns-v4",
        include_str!("../../data/warninglists/public-dns-v4.json"),
    ),
    (
        "public-dns-v6",
        include_str!("../../data/warninglists/public-dns-v6.json"),
    ),
    (
        "cloudflare",
        include_str!("../../data/warninglists/cloudflare.json"),
    ),
    (
        "fastly",
        include_str!("../../data/warninglists/fastly.json"),
    ),
    (
        "akamai",
        include_str!("../../data/warninglists/akamai.json"),
    ),
    (
        "amazon-aws",
        include_str!("../../data/warninglists/amazon-aws.json"),
    ),
    (
        "google-gcp",
        include_str!("../../data/warninglists/google-gcp.json"),
    ),
    (
        "microsoft-azure",
        include_str!("../../data/warninglists/microsoft-azure.json"),
    ),
    (
        "microsoft-win10-connection-endpoints",
        include_str!("../../data/warninglists/microsoft-win10-connection-endpoints.json"),
    ),
    (
        "google",
        include_str!("../../data/warninglists/google.json"),
    ),
    (
        "whats-my-ip",
        include_str!("../../data/warninglists/whats-my-ip.json"),
    ),
    (
        "tranco10k",
        include_str!("../../data/warninglists/tranco10k.json"),
    ),
];

/// Adds one warning list (MISP JSON) to the store; returns a warning when some of it could
/// not be used.
pub fn add_list(store: &mut Store, name: &str, text: &str) -> Result<Option<Warning>, Error> {
    let json: Value = serde_json::from_str(text).map_err(|e| Error::Intel {
        message: format!("{name}: not valid JSON: {e}"),
    })?;
    let kind = json.get("type").and_then(Value::as_str).unwrap_or("string");
    let items = json
        .get("list")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Intel {
            message: format!("{name}: not a MISP warning list (no \"list\")"),
        })?;
    if matches!(kind, "substring" | "regex") {
        return Ok(Some(feed_skipped(format!(
            "{name}: a {kind} list ({} entries) is not read",
            items.len()
        ))));
    }
    let meta = Meta {
        feed: format!("warninglist:{name}"),
        tags: vec![KNOWN_BENIGN.to_string()],
        first_seen: None,
        threat_level: None,
    };
    let mut skipped = 0;
    for item in items {
        let Some(value) = item.as_str() else {
            skipped += 1;
            continue;
        };
        let entry = Entry {
            value: value.to_string(),
            meta: meta.clone(),
        };
        let added = match kind {
            "cidr" => store.add(&entry),
            _ => store.add_exact(&entry),
        };
        if !added {
            skipped += 1;
        }
    }
    Ok((skipped > 0)
        .then(|| entries_skipped(format!("{name}: {skipped} entries that cannot be matched"))))
}

/// Adds the shipped lists.
pub fn add_builtin(store: &mut Store) -> Vec<Warning> {
    BUILTIN
        .iter()
        .filter_map(|(name, text)| {
            add_list(store, name, text).unwrap_or_else(|e| Some(feed_skipped(e.to_string())))
        })
        .collect()
}

/// Adds every list of a folder: `NAME/list.json` (the misp-warninglists layout) or
/// `NAME.json`. A folder without any list is an error naming it.
pub fn add_folder(store: &mut Store, dir: &Path) -> Result<Vec<Warning>, Error> {
    let unreadable = |path: &Path, e: std::io::Error| Error::Input {
        path: path.display().to_string(),
        message: crate::input::describe(&e),
    };
    let mut files: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_stem()?.to_string_lossy().into_owned();
            if p.is_dir() {
                let list = p.join("list.json");
                list.is_file().then_some((name, list))
            } else {
                p.extension()
                    .is_some_and(|x| x == "json")
                    .then_some((name, p))
            }
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Intel {
            message: format!("{}: no MISP warning list in this folder", dir.display()),
        });
    }
    let mut warnings = Vec::new();
    for (name, path) in files {
        let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
        match add_list(store, &name, &text) {
            Ok(Some(w)) => warnings.push(w),
            Ok(None) => {}
            Err(e) => warnings.push(feed_skipped(e.to_string())),
        }
    }
    Ok(warnings)
}

/// The warning list a hit comes from (`public-dns-v4`), `None` for other feeds.
pub fn list_of(hit: &crate::ioc::IntelHit) -> Option<&str> {
    hit.feed.strip_prefix("warninglist:")
}

/// What a shipped list holds, from its `description` (`None` for lists read from a folder).
pub fn description(name: &str) -> Option<&'static str> {
    static D: std::sync::OnceLock<std::collections::BTreeMap<&'static str, String>> =
        std::sync::OnceLock::new();
    D.get_or_init(|| {
        BUILTIN
            .iter()
            .filter_map(|(name, text)| {
                let json: Value = serde_json::from_str(text).ok()?;
                let d = json.get("description")?.as_str()?.trim().to_string();
                Some((*name, d))
            })
            .collect()
    })
    .get(name)
    .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ioc::IocKind;

    #[test]
    fn the_shipped_lists_flag_known_infrastructure() {
        let mut s = Store::new();
        let warnings = add_builtin(&mut s);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(s.entries > 15_000, "{}", s.entries);
        let dns = s.lookup(IocKind::Ipv4, "8.8.8.8");
        assert_eq!(dns[0].feed, "warninglist:public-dns-v4");
        assert_eq!(dns[0].tags[0], KNOWN_BENIGN);
        assert!(s.contains(IocKind::Ipv4, "1.1.1.1"));
        // A top site is known, its subdomains are not; the documentation addresses are not.
        assert!(s.contains(IocKind::Domain, "example.com"));
        assert!(!s.contains(IocKind::Domain, "cdn.ashdrop.example.com"));
        assert!(!s.contains(IocKind::Ipv4, "198.51.100.9"));
    }

    #[test]
    fn folders_in_the_upstream_layout() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("mine")).unwrap();
        std::fs::write(
            dir.path().join("mine/list.json"),
            r#"{"name":"Mine","description":"Our own","type":"hostname","list":[".example.net"]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("re.json"),
            r#"{"name":"Re","type":"regex","list":["^a"]}"#,
        )
        .unwrap();
        let mut s = Store::new();
        let warnings = add_folder(&mut s, dir.path()).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].code, crate::WarningCode::IntelFeedSkipped);
        assert!(
            warnings[0].message.starts_with("re: a regex list"),
            "{warnings:?}"
        );
        assert!(s.contains(IocKind::Domain, "cdn.example.net"));
        assert!(add_folder(&mut Store::new(), &dir.path().join("mine/list.json")).is_err());
    }
}
