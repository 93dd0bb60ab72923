//! Command-line golden tests, in the style of yara-x's `testdata`: for every
//! `tests/cli/NAME.cmd` (the arguments, split on whitespace, run from `tests/cli/`), the
//! binary's stdout must equal `NAME.stdout`, its stderr `NAME.stderr` (empty when the file
//! is absent) and its exit code `NAME.code` (0 when absent). `NAME.stdin`, when present, is
//! fed to standard input.
//!
//! To accept new output after a deliberate change: `SPOOR_UPDATE_GOLDEN=1 cargo test --test tests cli::`,
//! then review the diff. Each case is a test of its own (`cli::golden::NAME`, `-` written `_`);
//! a new case is added to the `goldens!` list.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn read_or_empty(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn update(path: &Path, content: &str, keep_if_empty: bool) {
    if content.is_empty() && !keep_if_empty {
        let _ = std::fs::remove_file(path);
    } else {
        std::fs::write(path, content).expect("write golden file");
    }
}

/// Runs one golden case (`tests/cli/NAME.cmd`) and checks, or with `SPOOR_UPDATE_GOLDEN`
/// rewrites, its expected stdout, stderr and exit code.
fn golden(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let updating = std::env::var_os("SPOOR_UPDATE_GOLDEN").is_some();
    let cmd = dir.join(format!("{name}.cmd"));
    let args_line = std::fs::read_to_string(&cmd).expect("read .cmd");
    let args: Vec<&str> = args_line.split_whitespace().collect();
    let stdin_path = cmd.with_extension("stdin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(&args)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spoor");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        let input = std::fs::read(&stdin_path).unwrap_or_default();
        stdin.write_all(&input).expect("feed stdin");
    }
    let out = child.wait_with_output().expect("wait for spoor");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let (so, se, co) = (
        cmd.with_extension("stdout"),
        cmd.with_extension("stderr"),
        cmd.with_extension("code"),
    );
    assert!(!stderr.contains("panicked"), "{name}: panicked: {stderr}");
    if updating {
        update(&so, &stdout, true);
        update(&se, &stderr, false);
        update(
            &co,
            &if code == 0 {
                String::new()
            } else {
                format!("{code}\n")
            },
            false,
        );
        return;
    }
    let mut failures = Vec::new();
    let want_code: i32 = read_or_empty(&co).trim().parse().unwrap_or(0);
    if stdout != read_or_empty(&so) {
        failures.push(format!("{name}: stdout differs:\n--- got\n{stdout}"));
    }
    if stderr != read_or_empty(&se) {
        failures.push(format!("{name}: stderr differs:\n--- got\n{stderr}"));
    }
    if code != want_code {
        failures.push(format!("{name}: exit code {code}, want {want_code}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// One test per golden case, named as its file with `-` written `_`, so that cargo can run
/// one: `cargo test --test tests cli::golden::events_pcap`.
macro_rules! goldens {
    ($($name:ident),* $(,)?) => {
        /// The golden cases, one test each.
        mod golden {
            $(
                #[test]
                fn $name() {
                    super::golden(&stringify!($name).replace('_', "-"));
                }
            )*
        }
        /// Every case the macro lists.
        const LISTED: &[&str] = &[$(stringify!($name)),*];
    };
}

goldens!(
    allowlist_file,
    analyze_benign_missing,
    analyze_missing_input,
    analyze_report_template_broken,
    bad_type,
    date_impossible_analyze,
    date_impossible_extract,
    date_impossible_goodware,
    date_impossible_rules,
    events_cape_json,
    events_evtx,
    events_executable,
    events_gzip,
    events_missing,
    events_pcap,
    events_procmon_ndjson,
    events_regshot_procmon,
    events_sigma,
    events_stdin,
    events_sysmon_text,
    events_text_file,
    events_truncated_json,
    events_truncated_pcap,
    extract_raw_logs,
    extract_truncated_pcap,
    extract_zip,
    garbage,
    goodware_build_empty,
    goodware_build_missing,
    goodware_info,
    goodware_merge_bad_part,
    goodware_merge_help,
    goodware_query,
    intel_bad_header,
    intel_build_from_store,
    intel_build_help,
    intel_missing,
    intel_truncated_store,
    max_size_json,
    missing_file,
    missing_file_json,
    output_checked_before_work,
    output_dev_null,
    output_dev_null_analyze,
    output_folder_triage,
    output_missing_folder,
    output_missing_folder_events,
    output_under_a_file,
    report_csv_types,
    report_defang,
    report_json,
    report_misp,
    report_no_allowlist,
    report_public,
    report_stix,
    report_text,
    rules_bad_template,
    rules_family_orchard,
    rules_name_format,
    rules_no_strings,
    rules_sigma,
    rules_validate_holdout,
    stdin,
    stix_bad_date,
    sysmon_ndjson,
    sysmon_text,
    test_bad_labels,
    test_broken_rule,
    test_cross_family_json,
    test_families,
    test_generic_rule,
    test_max_fp,
    test_missing_file,
    test_no_family_json,
    test_no_labels,
    test_rules_binary,
    test_rules_executable,
    test_rules_missing,
    triage_dir,
    triage_dir_no_executable,
    triage_elf,
    triage_json,
    triage_macho,
    triage_misp,
    triage_pe,
    triage_signed_color,
    triage_stix,
    triage_text_file,
    triage_truncated,
    triage_truncated_json,
);

/// A `.cmd` file without a test would never run: every case in `tests/cli` must be listed
/// in `goldens!` above (and every listed one must exist).
#[test]
fn every_golden_case_is_listed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/cli exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cmd"))
        .filter_map(|p| Some(p.file_stem()?.to_string_lossy().replace('-', "_")))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = LISTED.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "tests/cli/*.cmd and the goldens! list differ"
    );
}
