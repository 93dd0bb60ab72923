//! Local intelligence store benchmark (`cargo bench --bench intel`).
//!
//! Writes a synthetic feed of a few million indicators (`SPOOR_BENCH_INTEL_MILLIONS`, default
//! 3) as a CSV list in a temporary folder: IPv4 addresses and /24 ranges in 198.18.0.0/15,
//! IPv6 addresses in 2001:db8::/32, domains and URL prefixes under example.com/.net/.org,
//! SHA-256 hashes. In one run it measures:
//!
//! * the in-memory store: reading and indexing the feed (`spoor::intel::feeds::load`, what
//!   `--intel FEED` does at every run);
//! * the compiled store: writing it (`spoor::intel::compiled::write`, the second half of
//!   `spoor intel build`), its size, and opening it (`Compiled::open`: mmap and header
//!   check, what `--intel FILE` does at every run), the first open and the median of ten;
//! * one million lookups on each, half of them of values the feed holds (subdomains,
//!   addresses inside ranges, URLs under prefixes), half of values it does not: as yes/no
//!   answers in three rounds (the stores and the peer in turn, the best round of each
//!   counts: the machine is shared), then once with the hits built; the compiled store's
//!   answers are checked against the in-memory store's on the first 20,000 queries.
//!
//! The peer, measured in the same run on the same values, is a plain
//! `std::collections::HashSet<String>` of the lower-cased values (exact matches only: it
//! cannot answer ranges, suffixes or prefixes). Results go to stdout and
//! `target/bench/intel.md`.

use spoor::intel::{compiled, feeds, Compiled, Store};
use spoor::IocKind;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

/// A small deterministic generator (xorshift64*), so every run uses the same values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const TLDS: [&str; 3] = ["example.com", "example.net", "example.org"];

fn ipv4(n: u64) -> String {
    // 198.18.0.0/15: 131,072 addresses.
    let n = n % 131_072;
    format!("198.{}.{}.{}", 18 + (n >> 16), (n >> 8) & 0xff, n & 0xff)
}

fn ipv6(n: u64) -> String {
    format!(
        "2001:db8:{:x}:{:x}::{:x}",
        (n >> 32) & 0xffff,
        (n >> 16) & 0xffff,
        n & 0xffff
    )
}

fn domain(n: u64) -> String {
    format!("h{n:x}.{}", TLDS[(n % 3) as usize])
}

fn hash(n: u64) -> String {
    // Distinct seeds for distinct n (xorshift needs a non-zero state).
    let mut r = Rng(n ^ 0x9e37_79b9_7f4a_7c15);
    (0..4).map(|_| format!("{:016x}", r.next())).collect()
}

fn main() {
    let millions: f64 = std::env::var("SPOOR_BENCH_INTEL_MILLIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3.0);
    let total = (millions * 1_000_000.0) as u64;
    // Shares of the feed: domains 40 %, IPv6 25 %, hashes 20 %, URL prefixes 10 %, the
    // IPv4 space (addresses and /24 ranges) the rest.
    let n_domains = total * 40 / 100;
    let n_v6 = total * 25 / 100;
    let n_hashes = total * 20 / 100;
    let n_urls = total * 10 / 100;
    let n_v4 = total - n_domains - n_v6 - n_hashes - n_urls;

    let dir = tempfile::tempdir().expect("tempdir");
    let feed = dir.path().join("bench-feed.csv");
    let mut exact_values: Vec<String> = Vec::with_capacity(total as usize);
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&feed).expect("feed file"));
        let mut line = |v: &str, tags: &str| {
            writeln!(w, "{v},{tags},2026-10-01,high").expect("write feed");
        };
        for i in 0..n_v4 {
            // Every 64th is a /24 range, the others single addresses.
            if i % 64 == 0 {
                let a = ipv4(i * 256);
                let net = a.rsplit_once('.').unwrap().0.to_string() + ".0/24";
                line(&net, "c2");
                exact_values.push(net);
            } else {
                let a = ipv4(i * 7919);
                line(&a, "c2");
                exact_values.push(a);
            }
        }
        for i in 0..n_v6 {
            let v = ipv6(i * 2 + 1);
            line(&v, "c2");
            exact_values.push(v);
        }
        for i in 0..n_domains {
            let v = domain(i * 2 + 1);
            line(&v, "phishing");
            exact_values.push(v);
        }
        for i in 0..n_urls {
            let v = format!("http://u{:x}.{}/gate/", i * 2 + 1, TLDS[(i % 3) as usize]);
            line(&format!("{v}*"), "payload");
            exact_values.push(v);
        }
        for i in 0..n_hashes {
            let v = hash(i * 2 + 1);
            line(&v, "malware");
            exact_values.push(v);
        }
    }
    let feed_mb = std::fs::metadata(&feed).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;

    // Opening: read and index the feed.
    let t = Instant::now();
    let (store, warnings) = feeds::load(std::slice::from_ref(&feed)).expect("load feed");
    let open_s = t.elapsed().as_secs_f64();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(store.entries as u64, total);

    // The peer: a HashSet of the same values, lower-cased, built in the same run.
    let t = Instant::now();
    let peer: HashSet<String> = exact_values
        .iter()
        .map(|v| v.to_ascii_lowercase())
        .collect();
    let peer_build_s = t.elapsed().as_secs_f64();
    drop(exact_values);

    // Queries: half held (a subdomain, an address in a range, a URL under a prefix, the
    // very value), half not.
    let mut rng = Rng(0x5eed);
    let n_queries = 1_000_000;
    let mut queries: Vec<(IocKind, String, bool)> = Vec::with_capacity(n_queries);
    for q in 0..n_queries {
        let held = q % 2 == 0;
        let r = rng.next();
        let query = match r % 5 {
            0 => {
                let i = r % n_domains.max(1);
                let d = domain(if held { i * 2 + 1 } else { i * 2 + 2 });
                (IocKind::Domain, format!("cdn.{d}"))
            }
            1 => {
                let i = r % n_v6.max(1);
                (
                    IocKind::Ipv6,
                    ipv6(if held { i * 2 + 1 } else { i * 2 + 2 }),
                )
            }
            2 => {
                let i = r % n_hashes.max(1);
                (
                    IocKind::Sha256,
                    hash(if held { i * 2 + 1 } else { i * 2 + 2 }),
                )
            }
            3 => {
                let i = r % n_urls.max(1);
                let n = if held { i * 2 + 1 } else { i * 2 + 2 };
                (
                    IocKind::Url,
                    format!("http://u{n:x}.{}/gate/x.php?id=1", TLDS[(i % 3) as usize]),
                )
            }
            _ => {
                // Inside a /24 of the feed, or in 203.0.113.0/24, which the feed lacks.
                let a = if held {
                    let i = (r % (n_v4 / 64).max(1)) * 64;
                    let base = ipv4(i * 256);
                    format!("{}.{}", base.rsplit_once('.').unwrap().0, r % 250 + 1)
                } else {
                    format!("203.0.113.{}", r % 250 + 1)
                };
                (IocKind::Ipv4, a)
            }
        };
        queries.push((query.0, query.1, held));
    }

    // The compiled store: written from the in-memory one, then opened.
    let store_path = dir.path().join("bench.intel");
    let t = Instant::now();
    {
        let file = std::fs::File::create(&store_path).expect("store file");
        let mut w = std::io::BufWriter::new(file);
        compiled::write(&store, &mut w).expect("write the compiled store");
        w.flush().expect("flush the compiled store");
    }
    let write_s = t.elapsed().as_secs_f64();
    let store_mb = std::fs::metadata(&store_path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let mut opens = Vec::new();
    let mut mapped = Store::new();
    for _ in 0..10 {
        let t = Instant::now();
        let c = Compiled::open(&store_path).expect("open the compiled store");
        let mut s = Store::new();
        s.attach(c);
        opens.push(t.elapsed().as_secs_f64());
        mapped = s;
    }
    let first_open_ms = opens[0] * 1e3;
    opens.sort_by(f64::total_cmp);
    let open_ms = opens[opens.len() / 2] * 1e3;
    assert_eq!(mapped.entries, store.entries);

    // Yes/no lookups: three rounds, each store and the peer in turn (the machine is shared;
    // the best round of each counts). The mapped store goes first: its pages are in the page
    // cache (just written), not yet in this process's page tables.
    let contains = |s: &Store| {
        let t = Instant::now();
        let mut found = 0usize;
        for (kind, value, _) in &queries {
            found += s.contains(*kind, value) as usize;
        }
        (found, t.elapsed().as_secs_f64())
    };
    let peer_contains = || {
        let t = Instant::now();
        let mut found = 0usize;
        for (_, value, _) in &queries {
            found += peer.contains(&value.to_ascii_lowercase()) as usize;
        }
        (found, t.elapsed().as_secs_f64())
    };
    let (mut m_contains_s, mut contains_s, mut peer_s) = (f64::MAX, f64::MAX, f64::MAX);
    let (mut m_found, mut found, mut peer_found) = (0, 0, 0);
    let mut first_round_ms = 0.0;
    for round in 0..3 {
        let (f, s) = contains(&mapped);
        if round == 0 {
            first_round_ms = s * 1e3;
        }
        (m_found, m_contains_s) = (f, m_contains_s.min(s));
        let (f, s) = contains(&store);
        (found, contains_s) = (f, contains_s.min(s));
        let (f, s) = peer_contains();
        (peer_found, peer_s) = (f, peer_s.min(s));
    }
    let lookups = |s: &Store| {
        let t = Instant::now();
        let mut hits = 0usize;
        for (kind, value, _) in &queries {
            hits += s.lookup(*kind, value).len();
        }
        (hits, t.elapsed().as_secs_f64())
    };
    let (m_hits, m_lookup_s) = lookups(&mapped);
    let (hits, lookup_s) = lookups(&store);
    let mut wrong = 0;
    let mut differ = 0;
    for (kind, value, held) in queries.iter().take(20_000) {
        if store.contains(*kind, value) != *held {
            wrong += 1;
        }
        if mapped.lookup(*kind, value) != store.lookup(*kind, value) {
            differ += 1;
        }
    }

    let rate = |s: f64| n_queries as f64 / s / 1e6;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Local intelligence store\n\n\
         {total} indicators ({n_v4} IPv4 incl. {} /24 ranges, {n_v6} IPv6, {n_domains} domains, \
         {n_urls} URL prefixes, {n_hashes} SHA-256), a {feed_mb:.0} MB CSV feed; {n_queries} \
         queries, half held by the feed (subdomains, addresses in ranges, URLs under prefixes).\n",
        n_v4.div_ceil(64)
    );
    let _ = writeln!(
        md,
        "| measure | compiled store (mapped) | in-memory store | HashSet<String> peer |\n|---|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| build | {:.2} s (read the feed {open_s:.2} s + write {write_s:.2} s), {store_mb:.0} MB file | {open_s:.2} s (read the CSV and index) | {peer_build_s:.2} s (values already in memory) |",
        open_s + write_s
    );
    let _ = writeln!(
        md,
        "| open at each run | {open_ms:.3} ms (median of 10; first {first_open_ms:.3} ms) | {open_s:.2} s (the build again) | - |"
    );
    let _ = writeln!(
        md,
        "| lookups, yes/no (best of 3 rounds) | {:.2} M/s ({m_found} found; first round {first_round_ms:.0} ms) | {:.2} M/s ({found} found) | {:.2} M/s ({peer_found} found: exact only) |",
        rate(m_contains_s),
        rate(contains_s),
        rate(peer_s)
    );
    let _ = writeln!(
        md,
        "| lookups with the hits built (one round) | {:.2} M/s ({m_hits} hits) | {:.2} M/s ({hits} hits) | - |",
        rate(m_lookup_s),
        rate(lookup_s)
    );
    let _ = writeln!(
        md,
        "\nWrong answers in the first 20,000 queries: {wrong} (a held query must be found, \
         another not); lookups where the compiled store's hits differ from the in-memory \
         store's: {differ}."
    );
    print!("{md}");
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("intel.md"), &md);
    assert_eq!(wrong, 0, "the store answered wrongly");
    assert_eq!(differ, 0, "the compiled store answered otherwise");
    assert_eq!((m_found, m_hits), (found, hits));
}
