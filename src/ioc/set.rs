//! The deduplicating collection of indicators.
//!
//! [`IocSet`] merges sightings of the same indicator (same kind and normalised value;
//! paths and registry keys compare case-insensitively), keeps a bounded number of
//! sightings per indicator with an exact total count, and yields a deterministic, sorted
//! list.

use super::validate;
use super::{Flags, Ioc, IocKind, Scope, Sighting};
use rustc_hash::FxHashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Indicators keyed by kind and normalised value.
#[derive(Debug, Clone)]
pub struct IocSet {
    /// One map per kind (indexed by `IocKind as usize`), keyed by the comparison key.
    maps: Vec<FxHashMap<String, Ioc>>,
    max_sightings: usize,
}

impl IocSet {
    /// An empty set keeping at most `max_sightings` sightings per indicator (0 = all).
    pub fn new(max_sightings: usize) -> Self {
        IocSet {
            maps: (0..IocKind::ALL.len())
                .map(|_| FxHashMap::default())
                .collect(),
            max_sightings,
        }
    }

    /// Number of distinct indicators.
    pub fn len(&self) -> usize {
        self.maps.iter().map(|m| m.len()).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records one sighting of an indicator.
    pub fn add(&mut self, kind: IocKind, value: String, defanged: bool, sighting: Sighting) {
        self.add_with(kind, value, defanged, || sighting);
    }

    /// Records one sighting, building it only if it will be kept (the per-indicator cap
    /// is not reached yet). Allocates nothing when the indicator is already known.
    pub fn add_with(
        &mut self,
        kind: IocKind,
        value: String,
        defanged: bool,
        sighting: impl FnOnce() -> Sighting,
    ) {
        let max = self.max_sightings;
        let map = &mut self.maps[kind as usize];
        let (key, display) = if kind.case_insensitive() {
            (fold_case(&value), Some(value))
        } else {
            (value, None)
        };
        let ioc = match map.get_mut(key.as_str()) {
            Some(ioc) => ioc,
            None => {
                // the first-seen spelling is shown; the key is only for comparison
                let value = display.unwrap_or_else(|| key.clone());
                map.entry(key).or_insert(Ioc {
                    kind,
                    flags: Flags::default(),
                    value,
                    count: 0,
                    sightings: Vec::new(),
                })
            }
        };
        ioc.count += 1;
        ioc.flags.defanged |= defanged;
        if max == 0 || ioc.sightings.len() < max {
            ioc.sightings.push(sighting());
        }
    }

    /// Moves every indicator of `other` into this set, after this set's own sightings.
    pub fn merge(&mut self, other: IocSet) {
        let max = self.max_sightings;
        for (ours_map, theirs_map) in self.maps.iter_mut().zip(other.maps) {
            for (key, theirs) in theirs_map {
                match ours_map.get_mut(&key) {
                    Some(ours) => {
                        ours.count += theirs.count;
                        ours.flags.defanged |= theirs.flags.defanged;
                        for s in theirs.sightings {
                            if max != 0 && ours.sightings.len() >= max {
                                break;
                            }
                            ours.sightings.push(s);
                        }
                    }
                    None => {
                        ours_map.insert(key, theirs);
                    }
                }
            }
        }
    }

    /// Marks allowlisted indicators, dropping them unless `keep` is set.
    pub fn apply_allowlist(&mut self, list: &super::allowlist::Allowlist, keep: bool) {
        for map in &mut self.maps {
            map.retain(|_, ioc| {
                if list.contains(ioc.kind, &ioc.value) {
                    ioc.flags.allowlisted = true;
                    keep
                } else {
                    true
                }
            });
        }
    }

    /// Keeps only indicators whose scope is public (or that have no scope).
    pub fn retain_public(&mut self) {
        for map in &mut self.maps {
            map.retain(|_, ioc| {
                matches!(scope_of(ioc.kind, &ioc.value), None | Some(Scope::Public))
            });
        }
    }

    /// The indicators sorted by kind, then value, with their scope filled in.
    pub fn into_sorted(self) -> Vec<Ioc> {
        let mut v: Vec<Ioc> = Vec::with_capacity(self.len());
        for map in self.maps {
            let start = v.len();
            v.extend(map.into_values().map(|mut ioc| {
                ioc.flags.scope = scope_of(ioc.kind, &ioc.value);
                ioc
            }));
            v[start..].sort_by(|a, b| a.value.cmp(&b.value));
        }
        v
    }
}

/// The comparison key of a case-insensitive value (ASCII fast path; full Unicode
/// lower-casing only when the value has non-ASCII characters).
pub fn fold_case(value: &str) -> String {
    if value.is_ascii() {
        value.to_ascii_lowercase()
    } else {
        value.to_lowercase()
    }
}

/// The scope of a network indicator from its normalised value.
pub fn scope_of(kind: IocKind, value: &str) -> Option<Scope> {
    match kind {
        IocKind::Ipv4 => {
            let addr = value.split([':', '/']).next().unwrap_or("");
            addr.parse::<Ipv4Addr>().ok().map(validate::ipv4_scope)
        }
        IocKind::Ipv6 => {
            let addr = if let Some(rest) = value.strip_prefix('[') {
                rest.split(']').next().unwrap_or("")
            } else {
                value.split('/').next().unwrap_or("")
            };
            addr.parse::<Ipv6Addr>().ok().map(validate::ipv6_scope)
        }
        IocKind::Domain => Some(validate::domain_scope(value)),
        IocKind::Email => Some(validate::domain_scope(
            value.rsplit('@').next().unwrap_or(""),
        )),
        IocKind::Url => {
            let host = super::allowlist::url_host(value);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = host.parse::<Ipv4Addr>() {
                Some(validate::ipv4_scope(ip))
            } else if let Ok(ip) = host.parse::<Ipv6Addr>() {
                Some(validate::ipv6_scope(ip))
            } else {
                Some(validate::domain_scope(host))
            }
        }
        _ => None,
    }
}
