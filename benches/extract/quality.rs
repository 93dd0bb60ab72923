//! Scoring spoor's NDJSON output against the generator's ground truth.
//!
//! Per type:
//! - recall of planted occurrences: a planted occurrence counts as found when spoor
//!   reports the same (type, value) with a sighting inside the record that holds it (this
//!   needs spoor's output with every sighting, `--max-sightings 0`); a value missed in one
//!   kind of record is not masked by being found in another;
//! - recall of unique planted values;
//! - reported values that are neither planted nor deliberately present (a precision
//!   proxy), split into those seen only inside binary junk (random bytes that happen to
//!   look like an indicator) and the rest.
//!
//! Missed occurrences come with the exact log line, unexpected values with spoor's own
//! context snippet.

use crate::mixed_log::{compare_key, GroundTruth, KINDS};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// One indicator as spoor reported it.
#[derive(Debug, Clone)]
pub struct Reported {
    pub kind: String,
    pub value: String,
    /// Byte offsets of the kept sightings.
    pub offsets: Vec<u64>,
    /// Context snippet of the first sighting.
    pub context: String,
}

/// Reads spoor's NDJSON output (one indicator object per line).
pub fn read_ndjson(path: &Path) -> Result<Vec<Reported>, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| format!("{}:{}: not JSON: {e}", path.display(), n + 1))?;
        let field = |name: &str| {
            v.get(name)
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("{}:{}: no string field `{name}`", path.display(), n + 1))
        };
        let sightings = v.get("sightings").and_then(|s| s.as_array());
        out.push(Reported {
            kind: field("type")?,
            value: field("value")?,
            offsets: sightings
                .map(|s| {
                    s.iter()
                        .filter_map(|x| x.get("offset").and_then(|o| o.as_u64()))
                        .collect()
                })
                .unwrap_or_default(),
            context: sightings
                .and_then(|s| s.first())
                .and_then(|x| x.get("context"))
                .and_then(|c| c.as_str())
                .unwrap_or("")
                .to_string(),
        });
    }
    Ok(out)
}

/// A planted occurrence spoor did not report.
#[derive(Debug, Clone)]
pub struct Miss {
    pub value: String,
    /// The record holding it: byte range and kind.
    pub start: u64,
    pub end: u64,
    pub record: &'static str,
}

/// Scores for one indicator type.
#[derive(Debug, Default, Clone)]
pub struct TypeScore {
    pub kind: String,
    /// Planted occurrences.
    pub occurrences: usize,
    /// Of those, how many were reported inside their record.
    pub occurrences_found: usize,
    /// Unique values planted.
    pub planted: usize,
    /// Of those, how many spoor reported.
    pub found: usize,
    /// Unique values reported in total.
    pub reported: usize,
    /// Reported values that are neither planted nor allowed, seen outside junk.
    pub unexpected: usize,
    /// Reported values that are neither planted nor allowed, seen only in binary junk.
    pub unexpected_junk: usize,
    /// Planted values not reported at all.
    pub misses: Vec<String>,
    /// Missed occurrences: a few per kind of record, and the count per kind of record.
    pub missed_occurrences: Vec<Miss>,
    pub missed_by_record: BTreeMap<&'static str, usize>,
    /// Unexpected values (outside junk) with spoor's context snippet.
    pub unexpected_examples: Vec<(String, String)>,
    /// Unexpected values seen only in junk.
    pub junk_examples: Vec<String>,
}

impl TypeScore {
    /// Recall of unique values.
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.planted)
    }

    /// Recall of occurrences.
    pub fn occurrence_recall(&self) -> f64 {
        ratio(self.occurrences_found, self.occurrences)
    }
}

pub fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// The whole quality report.
#[derive(Debug, Default)]
pub struct Quality {
    pub per_type: Vec<TypeScore>,
    /// Benign names that were written on purpose and still reported (allowlist leaks).
    pub benign_reported: Vec<(String, String)>,
    /// Noise text that matches an unexpected value: (noise, kind, value).
    pub noise_hits: Vec<(String, String, String)>,
    /// Occurrence recall per kind of record: (planted, found).
    pub per_record: BTreeMap<&'static str, (usize, usize)>,
}

/// Sums over all types.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    pub occurrences: usize,
    pub occurrences_found: usize,
    pub planted: usize,
    pub found: usize,
    pub unexpected: usize,
    pub unexpected_junk: usize,
}

impl Quality {
    pub fn totals(&self) -> Totals {
        let mut s = Totals::default();
        for t in &self.per_type {
            s.occurrences += t.occurrences;
            s.occurrences_found += t.occurrences_found;
            s.planted += t.planted;
            s.found += t.found;
            s.unexpected += t.unexpected;
            s.unexpected_junk += t.unexpected_junk;
        }
        s
    }
}

/// Compares `reported` with `truth`; `show` caps the missed occurrences kept per type
/// and kind of record.
pub fn score(truth: &GroundTruth, reported: &[Reported], show: usize) -> Quality {
    let key = |kind: &str, value: &str| (kind.to_string(), compare_key(kind, value));
    let planted: BTreeSet<(String, String)> =
        truth.planted.iter().map(|(k, v)| key(k, v)).collect();
    let allowed: BTreeSet<(String, String)> =
        truth.allowed.iter().map(|(k, v)| key(k, v)).collect();
    let benign: BTreeSet<(String, String)> = truth.benign.iter().map(|(k, v)| key(k, v)).collect();
    let seen: BTreeSet<(String, String)> =
        reported.iter().map(|r| key(&r.kind, &r.value)).collect();

    let mut by_kind: BTreeMap<String, TypeScore> = BTreeMap::new();
    for kind in KINDS {
        by_kind.insert(
            kind.to_string(),
            TypeScore {
                kind: kind.to_string(),
                ..TypeScore::default()
            },
        );
    }
    for (kind, value) in &truth.planted {
        let t = by_kind.entry(kind.to_string()).or_default();
        t.planted += 1;
        if seen.contains(&key(kind, value)) {
            t.found += 1;
        } else {
            t.misses.push(value.clone());
        }
    }
    let mut quality = Quality::default();

    // occurrences: sorted sighting offsets per reported value
    let mut offsets: HashMap<(String, String), Vec<u64>> = HashMap::new();
    for r in reported {
        let o = offsets.entry(key(&r.kind, &r.value)).or_default();
        o.extend_from_slice(&r.offsets);
    }
    for o in offsets.values_mut() {
        o.sort_unstable();
    }
    let value_keys: Vec<(String, String)> = truth.values.iter().map(|(k, v)| key(k, v)).collect();
    for occ in &truth.occurrences {
        let (kind, value) = &truth.values[occ.value as usize];
        let hit = offsets
            .get(&value_keys[occ.value as usize])
            .is_some_and(|o| {
                let i = o.partition_point(|&x| x < occ.start);
                i < o.len() && o[i] < occ.end
            });
        let t = by_kind.entry(kind.to_string()).or_default();
        t.occurrences += 1;
        let rec = quality.per_record.entry(occ.record).or_default();
        rec.0 += 1;
        if hit {
            t.occurrences_found += 1;
            rec.1 += 1;
        } else {
            let n = t.missed_by_record.entry(occ.record).or_default();
            *n += 1;
            let distinct = !t.missed_occurrences.iter().any(|m| m.value == *value);
            if *n <= show && distinct {
                t.missed_occurrences.push(Miss {
                    value: value.clone(),
                    start: occ.start,
                    end: occ.end,
                    record: occ.record,
                });
            }
        }
    }

    let noise_lower: Vec<(String, String)> = truth
        .noise
        .iter()
        .map(|n| (n.clone(), n.to_ascii_lowercase()))
        .collect();
    for r in reported {
        let t = by_kind.entry(r.kind.clone()).or_insert_with(|| TypeScore {
            kind: r.kind.clone(),
            ..TypeScore::default()
        });
        t.reported += 1;
        let k = key(&r.kind, &r.value);
        if benign.contains(&k) {
            quality
                .benign_reported
                .push((r.kind.clone(), r.value.clone()));
        }
        if planted.contains(&k) || allowed.contains(&k) {
            continue;
        }
        let only_junk = !r.offsets.is_empty() && r.offsets.iter().all(|&o| truth.in_junk(o));
        if only_junk {
            t.unexpected_junk += 1;
            t.junk_examples.push(r.value.clone());
            continue;
        }
        t.unexpected += 1;
        t.unexpected_examples
            .push((r.value.clone(), r.context.clone()));
        let lower = r.value.to_ascii_lowercase();
        let stem = lower.split([':', '/']).next().unwrap_or(&lower).to_string();
        for (noise, nl) in &noise_lower {
            if nl.contains(&lower) || (stem.len() >= 4 && nl.contains(&stem)) {
                quality
                    .noise_hits
                    .push((noise.clone(), r.kind.clone(), r.value.clone()));
                break;
            }
        }
    }
    quality.per_type = by_kind.into_values().collect();
    quality
}

/// Lower-case forms of a planted value that another tool may report for it without
/// being wrong: the address without its port or prefix, the long hive name, the URL
/// without a trailing slash. Used to compare tools on a common footing.
pub fn equivalents(kind: &str, value: &str) -> Vec<String> {
    let v = value.to_ascii_lowercase();
    let mut out = vec![v.clone()];
    match kind {
        crate::mixed_log::IPV4 => {
            if let Some(bare) = v.split([':', '/']).next() {
                out.push(bare.to_string());
            }
        }
        crate::mixed_log::IPV6 => {
            if let Some(rest) = v.strip_prefix('[') {
                out.push(rest.split(']').next().unwrap_or(rest).to_string());
            }
            out.extend(v.split('/').next().map(str::to_string));
        }
        crate::mixed_log::REGISTRY_KEY => {
            let long: &[(&str, &[&str])] = &[
                ("hklm\\", &["hkey_local_machine\\", "\\registry\\machine\\"]),
                ("hkcu\\", &["hkey_current_user\\"]),
                ("hku\\", &["hkey_users\\", "\\registry\\user\\"]),
                ("hkcr\\", &["hkey_classes_root\\"]),
            ];
            for (short, longs) in long {
                if let Some(rest) = v.strip_prefix(short) {
                    out.extend(longs.iter().map(|l| format!("{l}{rest}")));
                }
            }
        }
        crate::mixed_log::URL => {
            if let Some(trimmed) = v.strip_suffix('/') {
                out.push(trimmed.to_string());
            } else {
                out.push(format!("{v}/"));
            }
        }
        _ => {}
    }
    out
}

/// The line of a missed occurrence: the line of its record that shows the value (in
/// any of the forms the generator writes), else the record's first line.
pub fn miss_line(log: &Path, miss: &Miss, max_len: usize) -> Result<String, String> {
    let mut f = File::open(log).map_err(|e| format!("{}: {e}", log.display()))?;
    f.seek(SeekFrom::Start(miss.start))
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let mut record = Vec::new();
    f.take((miss.end - miss.start).min(1 << 20))
        .read_to_end(&mut record)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    // probes: the value, its JSON-escaped form, its longest piece between separators
    let v = &miss.value;
    let mut probes = vec![
        v.to_ascii_lowercase(),
        v.replace('\\', r"\\").to_ascii_lowercase(),
    ];
    if let Some(piece) = v
        .split(['.', '@', ':', '/', '\\', '?', '[', ']', ' '])
        .max_by_key(|s| s.len())
        .filter(|s| s.len() >= 4)
    {
        probes.push(piece.to_ascii_lowercase());
    }
    let probes: Vec<Vec<u8>> = probes
        .into_iter()
        .flat_map(|p| {
            // also as UTF-16LE, for binary records
            let wide: Vec<u8> = p.bytes().flat_map(|b| [b, 0]).collect();
            [p.into_bytes(), wide]
        })
        .collect();
    let lines: Vec<&[u8]> = record.split(|&b| b == b'\n').collect();
    let (line, at) = probes
        .iter()
        .find_map(|p| {
            lines
                .iter()
                .find_map(|l| memchr::memmem::find(&l.to_ascii_lowercase(), p).map(|at| (*l, at)))
        })
        .unwrap_or((lines.first().copied().unwrap_or(&[]), 0));
    // long (binary) lines: show a window around the value
    let from = if line.len() > max_len {
        at.saturating_sub(max_len / 4)
    } else {
        0
    };
    let prefix = if from > 0 { "…" } else { "" };
    Ok(format!("{prefix}{}", printable(&line[from..], max_len)))
}

/// The line with control and non-ASCII bytes escaped, cut to `max_len` characters.
pub fn printable(bytes: &[u8], max_len: usize) -> String {
    let mut s = String::new();
    for &b in bytes.strip_suffix(b"\n").unwrap_or(bytes) {
        if s.len() >= max_len {
            s.push('…');
            break;
        }
        match b {
            0x20..=0x7e => s.push(char::from(b)),
            b'\t' => s.push_str("\\t"),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}
