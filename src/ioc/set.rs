//! The deduplicating collection of indicators.
//!
//! [`IocSet`] merges sightings of the same indicator (same kind and normalised value;
//! paths and registry keys compare case-insensitively), keeps a bounded number of
//! sightings per indicator with an exact total count, and yields a deterministic, sorted
//! list.

use super::validate;
use super::{Flags, Ioc, IocKind, Scope, Sighting};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Indicators keyed by kind and normalised value.
#[derive(Debug, Clone)]
pub struct IocSet {
    map: HashMap<(IocKind, String), Ioc>,
    max_sightings: usize,
}

impl IocSet {
    /// An empty set keeping at most `max_sightings` sightings per indicator (0 = all).
    pub fn new(max_sightings: usize) -> Self {
        IocSet {
            map: HashMap::new(),
            max_sightings,
        }
    }

    /// Number of distinct indicators.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Records one sighting of an indicator.
    pub fn add(&mut self, kind: IocKind, value: &str, defanged: bool, sighting: Sighting) {
        self.add_with(kind, value, defanged, || sighting);
    }

    /// Records one sighting, building it only if it will be kept (the per-indicator cap
    /// is not reached yet).
    pub fn add_with(
        &mut self,
        kind: IocKind,
        value: &str,
        defanged: bool,
        sighting: impl FnOnce() -> Sighting,
    ) {
        let key = (
            kind,
            if kind.case_insensitive() {
                value.to_lowercase()
            } else {
                value.to_string()
            },
        );
        let max = self.max_sightings;
        let ioc = self.map.entry(key).or_insert_with(|| Ioc {
            kind,
            flags: Flags {
                defanged: false,
                allowlisted: false,
                scope: scope_of(kind, value),
            },
            value: value.to_string(),
            count: 0,
            sightings: Vec::new(),
        });
        ioc.count += 1;
        ioc.flags.defanged |= defanged;
        if max == 0 || ioc.sightings.len() < max {
            ioc.sightings.push(sighting());
        }
    }

    /// Moves every indicator of `other` into this set, after this set's own sightings.
    pub fn merge(&mut self, other: IocSet) {
        let max = self.max_sightings;
        for (key, theirs) in other.map {
            match self.map.get_mut(&key) {
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
                    self.map.insert(key, theirs);
                }
            }
        }
    }

    /// Marks allowlisted indicators, dropping them unless `keep` is set.
    pub fn apply_allowlist(&mut self, list: &super::allowlist::Allowlist, keep: bool) {
        self.map.retain(|_, ioc| {
            if list.contains(ioc.kind, &ioc.value) {
                ioc.flags.allowlisted = true;
                keep
            } else {
                true
            }
        });
    }

    /// Keeps only indicators whose scope is public (or that have no scope).
    pub fn retain_public(&mut self) {
        self.map
            .retain(|_, ioc| matches!(ioc.flags.scope, None | Some(Scope::Public)));
    }

    /// The indicators sorted by kind, then value.
    pub fn into_sorted(self) -> Vec<Ioc> {
        let mut v: Vec<Ioc> = self.map.into_values().collect();
        v.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.value.cmp(&b.value)));
        v
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
