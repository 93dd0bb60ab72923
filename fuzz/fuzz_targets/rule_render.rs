//! Fuzz target: arbitrary candidate strings (any bytes, quotes, backslashes, non-printables,
//! odd section names and tags) rendered through every built-in template. Whatever comes
//! out must compile in yara-x with no error and no warning; the only acceptable failures
//! are "no usable strings" and "do not cover every sample".
#![no_main]

use libfuzzer_sys::fuzz_target;
use spoor::rules::candidates::Candidate;
use spoor::rules::render::{Template, TEMPLATES};
use spoor::rules::{rule_from_candidates, validate, RuleOptions, SampleInfo};
use spoor::sample::SampleFormat;

const TAGS: [&str; 8] = [
    "ioc:url",
    "pdb",
    "api",
    "format",
    "registry",
    "ioc:domain",
    "export",
    "dll",
];

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let samples = usize::from(control % 3) + 1;
    let mut found: Vec<Vec<Candidate>> = vec![Vec::new(); samples];
    for (i, chunk) in rest.split(|&b| b == 0xff).enumerate() {
        if chunk.is_empty() {
            continue;
        }
        let (head, text) = chunk.split_at(1);
        let text: String = text.iter().map(|&b| char::from(b)).collect();
        found[i % samples].push(Candidate {
            text: text.clone(),
            ascii: head[0] & 1 == 0,
            wide: head[0] & 2 != 0,
            section: Some(text.chars().rev().collect()),
            offset: u64::from(head[0]) << 8,
            in_code: head[0] & 4 != 0,
            tags: vec![TAGS[usize::from(head[0] >> 5)].to_string()],
        });
    }
    let group: Vec<SampleInfo> = (0..samples)
        .map(|i| SampleInfo {
            name: format!("s\"\\{i}\u{1}"),
            sha256: "0".repeat(64),
            size: u64::from(control) * 1000,
            format: [SampleFormat::Pe, SampleFormat::Elf, SampleFormat::MachoFat][i % 3],
            imphash: None,
            dotnet: None,
        })
        .collect();
    let (name, _) = TEMPLATES[usize::from(control >> 5) % TEMPLATES.len()];
    let options = RuleOptions {
        family: Some("fuzz family".into()),
        template: Template::builtin(name),
        date: "2026-11-25".into(),
        ..RuleOptions::default()
    };
    match rule_from_candidates("f\"z", &group, found, None, &options, &[]) {
        Ok(rule) => {
            let problems = validate::check(&rule.source);
            assert!(problems.is_clean(), "{problems:?}\n{}", rule.source);
        }
        Err(e) => assert!(
            e.to_string().contains("no usable") || e.to_string().contains("no string unique"),
            "unexpected failure: {e}"
        ),
    }
});
