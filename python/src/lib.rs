//! `spoor._spoor`: the Python extension module, a thin layer of PyO3 over the spoor
//! library (not the command line). It owns the crossing into Python and nothing else:
//! arguments in, the library's own JSON records out (the same records `spoor ... -f json`
//! or `-f ndjson` writes, so Python and the command line agree by construction), errors as
//! Python exceptions carrying a stable `code`. The Python package (`python/spoor/`) turns
//! the JSON into dicts, Arrow tables and Spark rows. Every call that reads or scans releases
//! the GIL.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde_json::{json, Value};
use spoor::export::{self, OutputOptions};
use spoor::extract::{ExtractOptions, Extractor};
use spoor::goodware::{self, BuildOptions, Index, IndexError};
use spoor::input::{self, Source};
use spoor::ioc::allowlist::Allowlist;
use spoor::ioc::scan::KindSet;
use spoor::ioc::IocKind;
use spoor::{Warning, WarningCode};
use std::path::PathBuf;
use std::sync::Arc;

pyo3::create_exception!(
    _spoor,
    SpoorError,
    PyException,
    "Base of spoor's errors; `code` names the kind (see the package documentation)."
);
pyo3::create_exception!(
    _spoor,
    InputError,
    SpoorError,
    "An input could not be read (code `input`), a file's text is not what it should be \
     (code `parse`) or an argument is invalid (code `argument`)."
);
pyo3::create_exception!(
    _spoor,
    GoodwareIndexError,
    SpoorError,
    "A goodware index could not be opened, built or written (codes `index-bad-magic`, \
     `index-version`, `index-damaged`, `index-io`, `index-empty`)."
);
pyo3::create_exception!(
    _spoor,
    RulesError,
    SpoorError,
    "YARA rules could not be read or compiled (codes `rules-read`, `rules-compile`, \
     `rules-empty`), or a rule could not be made (codes `rule`, `template`)."
);

/// An exception of type `E` with `code` set.
fn error<E: pyo3::PyTypeInfo>(code: &str, message: impl Into<String>) -> PyErr {
    let message: String = message.into();
    let err = PyErr::new::<E, _>(message);
    Python::attach(|py| {
        let _ = err.value(py).setattr("code", code);
    });
    err
}

/// A library error as the exception of its family, with the library's code (`input`,
/// `parse`, `argument`, `rule`, `template`, `index`, `intel`; see `docs/warnings.md`).
fn lib_error(e: &spoor::Error) -> PyErr {
    match e {
        spoor::Error::Rule { .. } | spoor::Error::Template { .. } => {
            error::<RulesError>(e.code(), e.to_string())
        }
        spoor::Error::Index { .. } => error::<GoodwareIndexError>(e.code(), e.to_string()),
        _ => error::<InputError>(e.code(), e.to_string()),
    }
}

fn argument(message: impl Into<String>) -> PyErr {
    error::<InputError>("argument", message)
}

fn index_error(e: &IndexError, context: &str) -> PyErr {
    let code = match e {
        IndexError::Io(_) => "index-io",
        IndexError::BadMagic => "index-bad-magic",
        IndexError::Version(_) => "index-version",
        IndexError::Damaged(_) => "index-damaged",
    };
    let message = if context.is_empty() {
        e.to_string()
    } else {
        format!("{context}: {e}")
    };
    error::<GoodwareIndexError>(code, message)
}

fn rules_error(e: &spoor::evaluate::RulesError) -> PyErr {
    use spoor::evaluate::RulesError as E;
    let code = match e {
        E::Read { .. } => "rules-read",
        E::Compile(_) => "rules-compile",
        _ => "rules-empty",
    };
    error::<RulesError>(code, e.to_string())
}

/// A warning record: `{"code": ..., "message": ...}` (the package issues them as
/// `spoor.SpoorWarning`), with the library's code (see `docs/warnings.md`).
fn warning(w: &Warning) -> Value {
    json!({ "code": w.code.as_str(), "message": w.message })
}

/// The `iocs` of a `spoor.iocs/2` document, each sighting's `source` (an index in the
/// document's `sources` table) replaced by the source's name, as in NDJSON lines.
fn iocs_naming_sources(mut doc: Value) -> Value {
    let names: Vec<Value> = doc
        .get("sources")
        .and_then(Value::as_array)
        .map(|s| s.iter().map(|e| e["name"].clone()).collect())
        .unwrap_or_default();
    let mut iocs = doc.get_mut("iocs").map(Value::take).unwrap_or(Value::Null);
    for ioc in iocs.as_array_mut().into_iter().flatten() {
        let sightings = ioc.get_mut("sightings").and_then(Value::as_array_mut);
        for s in sightings.into_iter().flatten() {
            let name = s["source"]
                .as_u64()
                .and_then(|i| names.get(usize::try_from(i).ok()?).cloned());
            if let Some(name) = name {
                s["source"] = name;
            }
        }
    }
    iocs
}

fn to_json(value: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| error::<SpoorError>("internal", e.to_string()))
}

fn kinds(types: Option<Vec<String>>) -> PyResult<KindSet> {
    match types {
        None => Ok(KindSet::all()),
        Some(t) if t.is_empty() => Ok(KindSet::all()),
        Some(t) => {
            let parsed: Result<Vec<IocKind>, _> = t
                .iter()
                .map(|s| {
                    s.parse::<IocKind>()
                        .map_err(|e| argument(format!("{s}: {e}")))
                })
                .collect();
            Ok(KindSet::only(&parsed?))
        }
    }
}

/// Extraction settings shared by the extract functions.
#[allow(clippy::too_many_arguments)]
fn extract_options(
    types: Option<Vec<String>>,
    max_sightings: usize,
    allowlist: bool,
    show_allowlisted: bool,
    public_only: bool,
    utf16: bool,
    structured: bool,
    context: bool,
) -> PyResult<ExtractOptions> {
    Ok(ExtractOptions {
        kinds: kinds(types)?,
        max_sightings,
        allowlist: if allowlist {
            Allowlist::builtin()
        } else {
            Allowlist::empty()
        },
        keep_allowlisted: show_allowlisted,
        public_only,
        threads: 1,
        utf16,
        structured_logs: structured,
        context,
        ..ExtractOptions::default()
    })
}

fn ndjson(iocs: &[spoor::Ioc], defang: bool) -> PyResult<String> {
    let mut out = Vec::new();
    export::json::write_lines_iocs(
        iocs,
        OutputOptions {
            defang,
            ..OutputOptions::default()
        },
        &mut out,
    )
    .map_err(|e| error::<SpoorError>("internal", e.to_string()))?;
    String::from_utf8(out).map_err(|e| error::<SpoorError>("internal", e.to_string()))
}

/// IOCs in `data` (text or bytes), as `spoor extract -f ndjson` lines.
#[pyfunction]
#[pyo3(signature = (data, name="-", types=None, max_sightings=10, allowlist=true,
    show_allowlisted=false, public_only=false, utf16=true, structured=true, context=true,
    defang=false))]
#[allow(clippy::too_many_arguments)]
fn extract(
    py: Python<'_>,
    data: Vec<u8>,
    name: &str,
    types: Option<Vec<String>>,
    max_sightings: usize,
    allowlist: bool,
    show_allowlisted: bool,
    public_only: bool,
    utf16: bool,
    structured: bool,
    context: bool,
    defang: bool,
) -> PyResult<String> {
    let options = extract_options(
        types,
        max_sightings,
        allowlist,
        show_allowlisted,
        public_only,
        utf16,
        structured,
        context,
    )?;
    let name = name.to_string();
    py.detach(move || {
        let extractor = Extractor::new(options);
        let iocs = if structured {
            extractor.extract_bytes(&name, &data)
        } else {
            extractor.extract_plain(&name, &data)
        };
        ndjson(&iocs, defang)
    })
}

/// IOCs in files and directories, as the `spoor extract -f json` document (sources,
/// errors, iocs).
#[pyfunction]
#[pyo3(signature = (paths, types=None, max_sightings=10, allowlist=true,
    show_allowlisted=false, public_only=false, utf16=true, structured=true, context=true,
    defang=false, threads=0))]
#[allow(clippy::too_many_arguments)]
fn extract_files(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    types: Option<Vec<String>>,
    max_sightings: usize,
    allowlist: bool,
    show_allowlisted: bool,
    public_only: bool,
    utf16: bool,
    structured: bool,
    context: bool,
    defang: bool,
    threads: usize,
) -> PyResult<String> {
    let mut options = extract_options(
        types,
        max_sightings,
        allowlist,
        show_allowlisted,
        public_only,
        utf16,
        structured,
        context,
    )?;
    options.threads = threads;
    py.detach(move || {
        let extraction = Extractor::new(options).extract_paths(&paths);
        let mut out = Vec::new();
        export::json::write_document(
            &extraction,
            OutputOptions {
                defang,
                ..OutputOptions::default()
            },
            &mut out,
        )
        .map_err(|e| error::<SpoorError>("internal", e.to_string()))?;
        String::from_utf8(out).map_err(|e| error::<SpoorError>("internal", e.to_string()))
    })
}

/// Per-batch IOC counts for `spoor.spark`: `rows` are texts (None skipped), `order` one
/// number per row (a line number, a timestamp, a row id). Returns four equal-length lists:
/// type, value, count (sightings over all rows) and the smallest order value of a row that
/// holds the indicator. Rows are scanned as one text joined by newlines, in order of their
/// order values, exactly as `spoor extract` reads a file of those lines.
#[pyfunction]
#[pyo3(signature = (rows, order, types=None, allowlist=true, public_only=false))]
#[allow(clippy::type_complexity)]
fn extract_rows(
    py: Python<'_>,
    rows: Vec<Option<String>>,
    order: Vec<i64>,
    types: Option<Vec<String>>,
    allowlist: bool,
    public_only: bool,
) -> PyResult<(Vec<String>, Vec<String>, Vec<u64>, Vec<i64>)> {
    if rows.len() != order.len() {
        return Err(argument(format!(
            "{} rows but {} order values",
            rows.len(),
            order.len()
        )));
    }
    let options = extract_options(types, 1, allowlist, false, public_only, false, false, false)?;
    py.detach(move || {
        let mut text = Vec::new();
        // (offset where the row starts, its order value)
        let mut starts: Vec<(u64, i64)> = Vec::with_capacity(rows.len());
        // In order of `order` (stable), so the first sighting is in the row with the
        // smallest order value that holds the indicator, whatever order the rows came in.
        let mut by_order: Vec<usize> = (0..rows.len()).collect();
        by_order.sort_by_key(|&i| order[i]);
        for i in by_order {
            let (Some(row), o) = (&rows[i], order[i]) else {
                continue;
            };
            starts.push((text.len() as u64, o));
            text.extend_from_slice(row.as_bytes());
            text.push(b'\n');
        }
        let iocs = Extractor::new(options).extract_plain("rows", &text);
        let mut out = (
            Vec::with_capacity(iocs.len()),
            Vec::with_capacity(iocs.len()),
            Vec::with_capacity(iocs.len()),
            Vec::with_capacity(iocs.len()),
        );
        for ioc in iocs {
            let at = ioc.sightings.first().and_then(|s| s.offset).unwrap_or(0);
            let row = starts.partition_point(|&(start, _)| start <= at);
            let first = starts.get(row.saturating_sub(1)).map_or(0, |&(_, o)| o);
            out.0.push(ioc.kind.as_str().to_string());
            out.1.push(ioc.value);
            out.2.push(ioc.count);
            out.3.push(first);
        }
        Ok(out)
    })
}

/// Static triage of a sample given as bytes (`name` is used in the report), as the
/// `spoor triage -f json` record.
#[pyfunction]
#[pyo3(signature = (data, name="-", min_string_len=None))]
fn triage_bytes(
    py: Python<'_>,
    data: Vec<u8>,
    name: &str,
    min_string_len: Option<usize>,
) -> PyResult<String> {
    let name = name.to_string();
    let options = triage_options(min_string_len);
    py.detach(move || to_json(&spoor::sample::triage_with(&name, &data, options)))
}

fn triage_options(min_string_len: Option<usize>) -> spoor::sample::TriageOptions {
    let mut options = spoor::sample::TriageOptions::default();
    if let Some(n) = min_string_len {
        options.min_string_len = n;
    }
    options
}

/// Static triage of a sample file (memory-mapped; files over `max_size` bytes are refused).
#[pyfunction]
#[pyo3(signature = (path, min_string_len=None, max_size=256 << 20))]
fn triage_file(
    py: Python<'_>,
    path: PathBuf,
    min_string_len: Option<usize>,
    max_size: u64,
) -> PyResult<String> {
    let options = triage_options(min_string_len);
    py.detach(move || {
        let name = path.display().to_string();
        let data = spoor::sample::Mapped::open(&path, max_size).map_err(|e| {
            error::<InputError>("input", format!("{name}: {}", input::describe(&e)))
        })?;
        to_json(&spoor::sample::triage_with(&name, &data, options))
    })
}

/// Normalised events of dynamic-analysis logs (files or directories), as
/// `{"events": [...], "sources": [...], "warnings": [...]}`.
#[pyfunction]
fn events(py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<String> {
    py.detach(move || {
        let (sources, errors) = input::expand_logs(&paths);
        let mut warnings: Vec<Value> = errors.iter().map(|e| warning(&e.warning())).collect();
        let mut events = Vec::new();
        let mut summaries = Vec::new();
        for source in &sources {
            let summary = spoor::logs::read_source(source, None, &mut |e| {
                events.push(serde_json::to_value(&e).unwrap_or(Value::Null));
            });
            for w in &summary.warnings {
                warnings.push(warning(&w.prefixed(&summary.name)));
            }
            summaries.push(summary);
        }
        if sources.is_empty() && !errors.is_empty() {
            return Err(error::<InputError>(
                "input",
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.source, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        to_json(&json!({ "events": events, "sources": summaries, "warnings": warnings }))
    })
}

/// A goodware index: in how many known-good files a string, import hash or export name
/// occurs. Open one with `GoodwareIndex.open(path)` (`"-"` is the index shipped with
/// spoor), or make one with `GoodwareIndex.build`, `append` or `merge`.
#[pyclass(module = "spoor._spoor", frozen)]
struct GoodwareIndex {
    index: Arc<Index>,
    path: String,
}

fn open_index(path: &str) -> PyResult<Index> {
    if path == "-" {
        return goodware::default_index().map_err(|e| index_error(&e, "default goodware index"));
    }
    Index::open(std::path::Path::new(path)).map_err(|e| index_error(&e, path))
}

/// Writes an index atomically with `fill`.
fn write_index(
    output: &str,
    fill: impl FnOnce(&mut dyn std::io::Write) -> Result<Vec<Value>, IndexError>,
) -> PyResult<Vec<Value>> {
    let mut warnings = None;
    let mut failure = None;
    let written = spoor::output::write_to(Some(std::path::Path::new(output)), |w| {
        match fill(w) {
            Ok(ws) => warnings = Some(ws),
            Err(e) => {
                let io = std::io::Error::other(e.to_string());
                failure = Some(e);
                return Err(io);
            }
        }
        Ok(())
    });
    if let Some(e) = failure {
        return Err(index_error(&e, output));
    }
    if let Err(e) = written {
        return Err(error::<GoodwareIndexError>(
            "index-io",
            format!("{output}: {}", input::describe(&e)),
        ));
    }
    Ok(warnings.unwrap_or_default())
}

#[pymethods]
impl GoodwareIndex {
    /// Opens an index file (memory-mapped); `"-"` opens the index shipped with spoor.
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<GoodwareIndex> {
        let path = path.to_string_lossy().into_owned();
        let index = py.detach(|| open_index(&path))?;
        Ok(GoodwareIndex {
            index: Arc::new(index),
            path,
        })
    }

    /// Builds an index from every file under `paths` and writes it to `output`; with
    /// `base`, the files are added to that index (as `spoor goodware build --append`).
    /// Returns `(index, warnings)`.
    #[staticmethod]
    #[pyo3(signature = (paths, output, date=None, min_packages=1, max_file_size=256 << 20, base=None))]
    fn build_with_warnings(
        py: Python<'_>,
        paths: Vec<PathBuf>,
        output: PathBuf,
        date: Option<String>,
        min_packages: u32,
        max_file_size: u64,
        base: Option<&GoodwareIndex>,
    ) -> PyResult<(GoodwareIndex, String)> {
        if let Some(d) = &date {
            spoor::dates::parse_day(d).map_err(|e| lib_error(&e))?;
        }
        let output = output.to_string_lossy().into_owned();
        let base = base.map(|b| b.index.clone());
        let options = BuildOptions {
            paths,
            date,
            max_file_size,
            min_packages,
        };
        let warnings = py.detach(|| {
            let mut empty = false;
            let warnings = write_index(&output, |w| {
                let report = goodware::build(&options, base.as_deref(), w)?;
                empty = report.meta.is_none();
                if empty {
                    return Err(IndexError::Damaged("no file was indexed".into()));
                }
                Ok(report.warnings.iter().map(warning).collect())
            });
            if empty {
                return Err(error::<GoodwareIndexError>(
                    "index-empty",
                    format!(
                        "no file was indexed (missing, empty or unreadable paths): {output} was not written"
                    ),
                ));
            }
            warnings
        })?;
        let index = py.detach(|| open_index(&output))?;
        Ok((
            GoodwareIndex {
                index: Arc::new(index),
                path: output,
            },
            to_json(&warnings)?,
        ))
    }

    /// Merges the indexes of disjoint parts of a goodware set into `output` (as
    /// `spoor goodware merge`). Returns `(index, warnings)`.
    #[staticmethod]
    #[pyo3(signature = (parts, output, date=None))]
    fn merge_with_warnings(
        py: Python<'_>,
        parts: Vec<PathBuf>,
        output: PathBuf,
        date: Option<String>,
    ) -> PyResult<(GoodwareIndex, String)> {
        if let Some(d) = &date {
            spoor::dates::parse_day(d).map_err(|e| lib_error(&e))?;
        }
        let output = output.to_string_lossy().into_owned();
        let warnings = py.detach(|| {
            let opened: Vec<Index> = parts
                .iter()
                .map(|p| open_index(&p.to_string_lossy()))
                .collect::<PyResult<_>>()?;
            let refs: Vec<&Index> = opened.iter().collect();
            write_index(&output, |w| {
                let report = goodware::merge(&refs, date, w)?;
                Ok(report.warnings.iter().map(warning).collect())
            })
        })?;
        let index = py.detach(|| open_index(&output))?;
        Ok((
            GoodwareIndex {
                index: Arc::new(index),
                path: output,
            },
            to_json(&warnings)?,
        ))
    }

    /// The path the index was opened from (`"-"` for the shipped one).
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// The header as JSON: dates, counts, sources.
    fn meta_json(&self) -> PyResult<String> {
        to_json(self.index.meta())
    }

    /// Size of the index in bytes.
    #[getter]
    fn size(&self) -> u64 {
        self.index.size()
    }

    /// In how many goodware files `text` occurs as a whole string (ASCII or UTF-16LE).
    fn string_count(&self, text: &str) -> u64 {
        self.index.string_count(text.as_bytes())
    }

    /// For each needle, the largest file count of a stored string that contains it.
    fn containing_counts(&self, py: Python<'_>, needles: Vec<String>) -> Vec<u64> {
        let index = self.index.clone();
        py.detach(move || {
            let refs: Vec<&[u8]> = needles
                .iter()
                .map(|n| goodware::key(n.as_bytes()))
                .collect();
            index.containing_counts(&refs)
        })
    }

    /// In how many goodware files the import hash occurs.
    fn imphash_count(&self, imphash: &str) -> u64 {
        self.index.imphash_count(imphash)
    }

    /// In how many goodware files the export name occurs.
    fn export_count(&self, name: &str) -> u64 {
        self.index.export_count(name)
    }

    /// Whether a file with this SHA-256 (hex) was counted.
    fn has_file(&self, sha256: &str) -> PyResult<bool> {
        let bytes = (0..sha256.len())
            .step_by(2)
            .map(|i| {
                sha256
                    .get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or_else(|| argument(format!("not a SHA-256 in hex: {sha256}")))?;
        Ok(self.index.has_file(&bytes))
    }

    fn __repr__(&self) -> String {
        let m = self.index.meta();
        format!(
            "GoodwareIndex({:?}, files={}, strings={})",
            self.path, m.files, m.strings
        )
    }
}

/// Triages the samples (files) for rule generation; unreadable ones become warnings.
fn triage_samples(paths: &[PathBuf], warnings: &mut Vec<Value>) -> Vec<spoor::sample::Triage> {
    let (sources, errors) = input::expand(paths);
    for e in errors {
        warnings.push(warning(&e.warning()));
    }
    let mut out = Vec::new();
    for s in sources {
        if let Source::File { path, .. } = s {
            let name = path.display().to_string();
            match spoor::sample::Mapped::open(&path, 256 << 20) {
                Ok(data) => out.push(spoor::sample::triage(&name, &data)),
                Err(e) => warnings.push(warning(&Warning::new(
                    WarningCode::of_io(&e),
                    format!("{name}: {}", input::describe(&e)),
                ))),
            }
        }
    }
    out
}

/// YARA rules for samples: one per sample, or one `family` rule over all of them, scored
/// against a goodware index (`"-"` the shipped one, None for none).
#[pyfunction]
#[pyo3(signature = (samples, family=None, goodware=Some("-".to_string()), date=None,
    author="spoor".to_string(), reference="-".to_string(), template=None))]
#[allow(clippy::too_many_arguments)]
fn rules(
    py: Python<'_>,
    samples: Vec<PathBuf>,
    family: Option<String>,
    goodware: Option<String>,
    date: Option<String>,
    author: String,
    reference: String,
    template: Option<String>,
) -> PyResult<String> {
    let date = match date {
        Some(d) => spoor::dates::parse_day(&d).map_err(|e| lib_error(&e))?,
        None => spoor::dates::today(),
    };
    let template = match template {
        None => None,
        Some(t) => Some(
            spoor::rules::render::Template::builtin(&t)
                .ok_or_else(|| argument(format!("unknown template {t}")))?,
        ),
    };
    py.detach(move || {
        let index = goodware.as_deref().map(open_index).transpose()?;
        let mut warnings = Vec::new();
        let triaged = triage_samples(&samples, &mut warnings);
        if triaged.is_empty() {
            return Err(error::<InputError>("input", "no sample could be read"));
        }
        let options = spoor::rules::RuleOptions {
            family,
            template,
            date,
            author,
            reference,
            ..spoor::rules::RuleOptions::default()
        };
        let generation = spoor::rules::generate(&triaged, index.as_ref(), &options);
        for w in &generation.warnings {
            warnings.push(warning(w));
        }
        let rules: Vec<Value> = generation
            .rules
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "source": r.source,
                    "samples": r.samples,
                    "strings": r.strings,
                    "dropped": r.dropped,
                })
            })
            .collect();
        to_json(&json!({
            "rules": rules,
            "text": generation.text(&format!("spoor rules, {}", options.date)),
            "warnings": warnings,
        }))
    })
}

/// Measures YARA rules against malicious and benign sets, as the `spoor test -f json`
/// report. `sources` are `(name, text)` rule texts, `paths` rule files or directories.
#[pyfunction]
#[pyo3(signature = (sources, paths, malicious, benign, threads=0, timeout=60, max_size=256 << 20, timing=false))]
#[allow(clippy::too_many_arguments)]
fn test(
    py: Python<'_>,
    sources: Vec<(String, String)>,
    paths: Vec<PathBuf>,
    malicious: Vec<PathBuf>,
    benign: Vec<PathBuf>,
    threads: usize,
    timeout: u64,
    max_size: u64,
    timing: bool,
) -> PyResult<String> {
    use spoor::evaluate::{self, RuleSet, ScanConfig, TestSets};
    py.detach(move || {
        let rules = if paths.is_empty() {
            let refs: Vec<(&str, &[u8])> = sources
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_bytes()))
                .collect();
            RuleSet::compile_sources(&refs)
        } else {
            RuleSet::compile_paths(&paths)
        }
        .map_err(|e| rules_error(&e))?;
        let sets = TestSets::collect(&malicious, &benign);
        let config = ScanConfig {
            threads,
            timeout: std::time::Duration::from_secs(timeout.max(1)),
            max_file_size: max_size,
        };
        let mut report = evaluate::evaluate(&rules, &sets, None, &config, &|_| {});
        if !timing {
            report.throughput = None;
        }
        let mut doc = serde_json::to_value(&report)
            .map_err(|e| error::<SpoorError>("internal", e.to_string()))?;
        let warnings: Vec<Value> = rules
            .warnings()
            .iter()
            .chain(&report.warnings)
            .map(warning)
            .chain(
                report
                    .unreadable
                    .iter()
                    .map(|u| warning(&Warning::new(u.code, format!("{}: {}", u.file, u.reason)))),
            )
            .collect();
        doc["warnings"] = Value::Array(warnings);
        to_json(&doc)
    })
}

/// One-shot analysis of samples and logs through the library's pipeline, as `spoor
/// analyze` runs it: triage reports, IOCs with provenance, what the logs' events show, and
/// (when `rules` is true, or by default when a benign set is given) YARA rules made
/// against the benign set and their measured result. The analyst's report files are
/// written by `spoor analyze`.
#[pyfunction]
#[pyo3(signature = (samples, logs=Vec::new(), types=None, benign=Vec::new(), labels=None,
    goodware=None, date=None, rules=None, threads=0))]
#[allow(clippy::too_many_arguments)]
fn analyze(
    py: Python<'_>,
    samples: Vec<PathBuf>,
    logs: Vec<PathBuf>,
    types: Option<Vec<String>>,
    benign: Vec<PathBuf>,
    labels: Option<PathBuf>,
    goodware: Option<String>,
    date: Option<String>,
    rules: Option<bool>,
    threads: usize,
) -> PyResult<String> {
    use spoor::pipeline;
    let date = date
        .map(|d| spoor::dates::parse_day(&d).map_err(|e| lib_error(&e)))
        .transpose()?;
    let mut options = pipeline::Options {
        goodware: goodware.filter(|g| g != "-").map(PathBuf::from),
        date,
        rules: rules.unwrap_or(!benign.is_empty()),
        threads,
        ..pipeline::Options::default()
    };
    options.analyze.extract.kinds = kinds(types)?;
    options.analyze.extract.threads = threads;
    let inputs = pipeline::Inputs {
        samples,
        logs,
        benign,
        labels,
    };
    py.detach(move || {
        let analysis = match pipeline::analyze(&inputs, &options, &mut pipeline::Silent) {
            Ok(a) => a,
            Err(pipeline::Error::NothingRead { warnings }) => {
                return Err(error::<InputError>(
                    "input",
                    format!(
                        "no input could be read: {}",
                        warnings
                            .iter()
                            .map(|w| w.message.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                ))
            }
            Err(e) => return Err(error::<InputError>("input", e.to_string())),
        };
        let found = &analysis.findings;
        let warnings: Vec<Value> = analysis.warnings.iter().map(warning).collect();
        // The complete list when the report holds only the top indicators.
        let iocs: Value = match &found.iocs_json {
            Some(file) => std::fs::read(file.path())
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .map(iocs_naming_sources)
                .unwrap_or(Value::Null),
            None => {
                let mut out = Vec::new();
                export::json::write_document(&found.extraction, OutputOptions::default(), &mut out)
                    .map_err(|e| error::<SpoorError>("internal", e.to_string()))?;
                serde_json::from_slice::<Value>(&out)
                    .ok()
                    .map(iocs_naming_sources)
                    .unwrap_or(Value::Null)
            }
        };
        let rules: Vec<Value> = analysis
            .rules
            .rules
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "source": r.source,
                    "samples": r.samples,
                    "strings": r.strings,
                    "dropped": r.dropped,
                })
            })
            .collect();
        let techniques: Vec<Value> = analysis
            .exchange
            .techniques
            .iter()
            .map(|t| json!({ "id": t.id, "name": t.name }))
            .collect();
        to_json(&json!({
            "samples": found.samples,
            "other_files": found.other_files,
            "logs": found.logs,
            "log_summaries": found.log_summaries,
            "dynamic": found.dynamic,
            "iocs": iocs,
            "iocs_total": found.iocs_total,
            "techniques": techniques,
            "sigma": found.sigma,
            "rules": rules,
            "rules_text": analysis.rules_text,
            "rules_test": analysis.rules_test,
            "stats": found.stats,
            "complete": !analysis.incomplete(),
            "warnings": warnings,
        }))
    })
}

/// Compiled YARA rules, for scanning bytes (files read by Spark's `binaryFile` source, say).
#[pyclass(module = "spoor._spoor", frozen)]
struct Rules {
    set: Arc<spoor::evaluate::RuleSet>,
}

#[pymethods]
impl Rules {
    /// Compiles rule texts (`(name, text)` pairs) or, when `paths` is not empty, rule files
    /// and directories.
    #[staticmethod]
    #[pyo3(signature = (sources, paths=Vec::new()))]
    fn compile(
        py: Python<'_>,
        sources: Vec<(String, String)>,
        paths: Vec<PathBuf>,
    ) -> PyResult<Rules> {
        let set = py.detach(move || {
            if paths.is_empty() {
                let refs: Vec<(&str, &[u8])> = sources
                    .iter()
                    .map(|(n, t)| (n.as_str(), t.as_bytes()))
                    .collect();
                spoor::evaluate::RuleSet::compile_sources(&refs)
            } else {
                spoor::evaluate::RuleSet::compile_paths(&paths)
            }
            .map_err(|e| rules_error(&e))
        })?;
        Ok(Rules { set: Arc::new(set) })
    }

    /// The rules' names (`namespace:name` unless the namespace is `default`), in order.
    fn names(&self) -> Vec<String> {
        self.set.infos().iter().map(rule_name).collect()
    }

    /// What yara-x warned about while compiling (the messages; their code is
    /// `rule-compiler`).
    fn warnings(&self) -> Vec<String> {
        self.set
            .warnings()
            .iter()
            .map(|w| w.message.clone())
            .collect()
    }

    /// Scans each item (bytes, or None for a file that could not be read): per item, the
    /// names of the rules that matched and the error (None when the scan went through).
    /// One scanner serves the whole list; the GIL is released meanwhile.
    #[pyo3(signature = (items, timeout=60))]
    #[allow(clippy::type_complexity)]
    fn scan_many(
        &self,
        py: Python<'_>,
        items: Vec<Option<Vec<u8>>>,
        timeout: u64,
    ) -> Vec<(Vec<String>, Option<String>)> {
        let set = self.set.clone();
        py.detach(move || {
            let timeout = std::time::Duration::from_secs(timeout.max(1));
            let mut scanner = yara_x::Scanner::new(set.rules());
            scanner.set_timeout(timeout);
            items
                .iter()
                .map(|item| match item {
                    None => (Vec::new(), Some("no content".to_string())),
                    Some(data) => {
                        match spoor::evaluate::scan::scan_data(&mut scanner, &set, data, timeout) {
                            Ok(hits) => (
                                hits.iter()
                                    .filter_map(|&i| set.infos().get(i).map(rule_name))
                                    .collect(),
                                None,
                            ),
                            Err(e) => (Vec::new(), Some(e)),
                        }
                    }
                })
                .collect()
        })
    }
}

fn rule_name(info: &spoor::evaluate::RuleInfo) -> String {
    if info.namespace == "default" {
        info.name.clone()
    } else {
        format!("{}:{}", info.namespace, info.name)
    }
}

/// A goodware index built from file contents handed over one at a time (a Spark partition's
/// rows): memory holds the counts, not the files. `write` returns the index file's bytes.
#[pyclass(module = "spoor._spoor")]
struct IndexBuilder {
    inner: Option<goodware::Builder>,
}

#[pymethods]
impl IndexBuilder {
    #[new]
    fn new() -> Self {
        IndexBuilder {
            inner: Some(goodware::Builder::new()),
        }
    }

    /// Counts each content (None and empty ones are skipped); returns how many were new
    /// (not a duplicate of a content counted before).
    fn add_many(&mut self, py: Python<'_>, items: Vec<Option<Vec<u8>>>) -> PyResult<u64> {
        let builder = self
            .inner
            .as_mut()
            .ok_or_else(|| argument("the index was already written"))?;
        Ok(py.detach(|| {
            items
                .iter()
                .flatten()
                .map(|data| u64::from(builder.add(data)))
                .sum()
        }))
    }

    /// `(files, duplicates)` counted so far.
    fn counts(&self) -> (u64, u64) {
        self.inner.as_ref().map_or((0, 0), |b| b.files())
    }

    /// The index file's bytes, its run recorded under `label`; None when no file was
    /// counted. The builder is spent afterwards.
    #[pyo3(signature = (label, date=None))]
    fn write<'py>(
        &mut self,
        py: Python<'py>,
        label: String,
        date: Option<String>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        if let Some(d) = &date {
            spoor::dates::parse_day(d).map_err(|e| lib_error(&e))?;
        }
        let builder = self
            .inner
            .take()
            .ok_or_else(|| argument("the index was already written"))?;
        let out = py.detach(move || {
            let mut out = Vec::new();
            builder
                .write(&label, date, &mut out)
                .map(|r| r.meta.map(|_| out))
        });
        match out {
            Ok(Some(bytes)) => Ok(Some(PyBytes::new(py, &bytes))),
            Ok(None) => Ok(None),
            Err(e) => Err(index_error(&e, "")),
        }
    }
}

/// The IOC types spoor knows, as `types=` takes them.
#[pyfunction]
fn ioc_types() -> Vec<&'static str> {
    IocKind::ALL.iter().map(|k| k.as_str()).collect()
}

/// The format of bytes, as triage reads it (`pe`, `elf`, `macho`, ...).
#[pyfunction]
fn sniff(data: &Bound<'_, PyBytes>) -> &'static str {
    spoor::sample::sniff(data.as_bytes()).as_str()
}

#[pymodule]
fn _spoor(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SpoorError", py.get_type::<SpoorError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("GoodwareIndexError", py.get_type::<GoodwareIndexError>())?;
    m.add("RulesError", py.get_type::<RulesError>())?;
    m.add_class::<GoodwareIndex>()?;
    m.add_class::<Rules>()?;
    m.add_class::<IndexBuilder>()?;
    m.add_function(wrap_pyfunction!(extract, m)?)?;
    m.add_function(wrap_pyfunction!(extract_files, m)?)?;
    m.add_function(wrap_pyfunction!(extract_rows, m)?)?;
    m.add_function(wrap_pyfunction!(triage_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(triage_file, m)?)?;
    m.add_function(wrap_pyfunction!(events, m)?)?;
    m.add_function(wrap_pyfunction!(rules, m)?)?;
    m.add_function(wrap_pyfunction!(test, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(ioc_types, m)?)?;
    m.add_function(wrap_pyfunction!(sniff, m)?)?;
    Ok(())
}
