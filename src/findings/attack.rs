//! ATT&CK technique names (`data/attack-techniques.txt`, see [`crate::tables`]): the one
//! table every stage that names a technique reads (triage's technique rules, the verdict,
//! the log analysis, the exports and the report).

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The embedded technique list: id → name.
pub fn technique_names() -> &'static BTreeMap<String, String> {
    static T: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    T.get_or_init(|| {
        crate::tables::entries(crate::tables::ATTACK_TECHNIQUES)
            .filter_map(|e| {
                let (id, name) = e.split_once(char::is_whitespace)?;
                Some((id.to_string(), name.trim().to_string()))
            })
            .collect()
    })
}

/// The name of technique `id`, when the table knows it.
pub fn technique_name(id: &str) -> Option<&'static str> {
    technique_names().get(id).map(String::as_str)
}
