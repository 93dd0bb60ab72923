//! Triage of inputs with many strings: the cap on listed strings, and IOC extraction over
//! the strings in stretches giving what one pass over all of them gives.

use spoor::extract::{ExtractOptions, Extractor};
use spoor::ioc::Encoding;
use spoor::sample::{self, strings, Regions};

/// Distinct, texty strings separated by NUL bytes; every `every`-th carries an indicator
/// (documentation ranges and names only).
fn blob(count: usize, every: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..count {
        let s = if i % every == 0 {
            match i / every % 3 {
                0 => format!("http://c{}.example.com/gate.php?id={i}", i % 89),
                1 => format!("connect 198.51.100.{} port {}", i % 250, i % 9000),
                _ => format!("mail to user{}@example.org now", i % 41),
            }
        } else {
            format!("plain text line number {i}")
        };
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }
    out
}

#[test]
fn strings_past_the_cap_are_sampled_counted_and_still_read_for_iocs() {
    let extra = 7;
    let data = blob(strings::MAX_STRINGS + extra, 1_000_000);
    let mut joined = 0usize;
    let mut stretches = 0usize;
    let scan = strings::scan(&data, 5, &Regions::default(), &[], |text| {
        stretches += 1;
        assert!(
            text.bytes.len() < strings::TEXT_CHUNK + 64,
            "{}",
            text.bytes.len()
        );
        joined += text.bytes.iter().filter(|&&b| b == 0).count();
    });
    assert!(scan.strings.len() <= strings::MAX_STRINGS);
    assert_eq!(
        scan.strings.len() + scan.dropped,
        strings::MAX_STRINGS + extra
    );
    assert_eq!(scan.junk, 0);
    assert_eq!(joined, strings::MAX_STRINGS + extra);
    assert!(stretches > 1, "{stretches}");
    // Past the cap the strings are sampled across the whole file (so padding at the front
    // cannot push the rest out), tagged ones first, in file order.
    assert_eq!(scan.strings[0].value, "http://c0.example.com/gate.php?id=0");
    assert!(scan
        .strings
        .iter()
        .any(|s| s.value == "plain text line number 1"));
    let last = scan.strings.last().expect("strings kept").offset as usize;
    assert!(last > data.len() * 9 / 10, "{last} of {}", data.len());
    assert!(scan.strings.windows(2).all(|w| w[0].offset < w[1].offset));

    // The report says so.
    let t = sample::triage("many", &data);
    assert_eq!(t.strings.len(), scan.strings.len());
    assert_eq!(t.strings_dropped, scan.dropped);
    let said = format!("{} not listed", scan.dropped);
    assert!(
        t.warnings.iter().any(|w| w.message.contains(&said)),
        "{:?}",
        t.warnings
    );
    let json = serde_json::to_value(&t).expect("json");
    assert_eq!(json["strings_dropped"], scan.dropped);
    // A report without dropped strings does not carry the field.
    let small = serde_json::to_value(sample::triage("few", &blob(100, 10))).expect("json");
    assert!(small.get("strings_dropped").is_none());
}

#[test]
fn iocs_from_stretches_match_one_pass_over_all_strings() {
    // About 2.7 MiB of joined text: three stretches.
    let mut data = blob(100_000, 37);
    // UTF-16LE text too, after the ASCII.
    for c in "backup at http://files.example.net/drop.bin today".bytes() {
        data.extend_from_slice(&[c, 0]);
    }
    data.extend_from_slice(&[0, 0]);
    let t = sample::triage("blob", &data);
    assert!(t.iocs.len() > 100, "{}", t.iocs.len());

    // The reference: every string joined at once, one extraction, sightings mapped back.
    let found = strings::find(&data, 5, &Regions::default());
    let mut text = Vec::new();
    let mut starts = Vec::new();
    for s in &found {
        starts.push(text.len() as u64);
        text.extend_from_slice(s.value.as_bytes());
        text.push(0);
    }
    assert!(text.len() > 2 * strings::TEXT_CHUNK, "{}", text.len());
    let extractor = Extractor::new(ExtractOptions {
        threads: 1,
        utf16: false,
        ..ExtractOptions::default()
    });
    let want: Vec<(String, Vec<(u64, Encoding)>)> = extractor
        .extract_bytes("blob", &text)
        .into_iter()
        .map(|ioc| {
            let sightings = ioc
                .sightings
                .iter()
                .filter_map(|s| {
                    let pos = s.offset?;
                    let i = starts.partition_point(|&st| st <= pos).checked_sub(1)?;
                    let f = &found[i];
                    let width = if f.encoding == Encoding::Utf16le {
                        2
                    } else {
                        1
                    };
                    Some((f.offset + (pos - starts[i]) * width, f.encoding))
                })
                .collect();
            (format!("{:?} {}", ioc.kind, ioc.value), sightings)
        })
        .collect();
    let got: Vec<(String, Vec<(u64, Encoding)>)> = t
        .iocs
        .iter()
        .map(|ioc| {
            let sightings = ioc
                .sightings
                .iter()
                .map(|s| (s.offset, s.encoding))
                .collect();
            (format!("{:?} {}", ioc.kind, ioc.value), sightings)
        })
        .collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    assert!(got
        .iter()
        .any(|(v, s)| v.ends_with("http://files.example.net/drop.bin")
            && s.iter().all(|x| x.1 == Encoding::Utf16le)));
}
