"""spoor for Python: IOC extraction, static triage, log events, goodware indexes and tested
YARA rules, from the spoor library (Rust, through PyO3).

Results are the records the command line writes as JSON (``spoor extract -f ndjson``,
``spoor triage -f json``, ``spoor events -f ndjson``, ``spoor test -f json``), as plain
dicts and lists. Work runs without the GIL, so threads calling spoor run in parallel.

Errors raise :class:`SpoorError` subclasses with a ``code`` attribute (``input``,
``argument``, ``index-bad-magic``, ``index-version``, ``index-damaged``, ``index-io``,
``index-empty``, ``rules-read``, ``rules-compile``, ``rules-empty``). Problems that lose
part of an input but leave a result (an unreadable file among many, a damaged log record)
are issued as :class:`SpoorWarning` warnings whose ``code`` is the one the command line's
JSON outputs carry (``input-unreadable``, ``input-truncated``, ``parse-error``,
``size-limit``, ``index-mismatch``, ``rule-not-written``, ...: every code is in
``docs/warnings.md``); turn them into errors with
``warnings.simplefilter("error", spoor.SpoorWarning)``.

Spark helpers are in :mod:`spoor.spark` (PySpark and pyarrow needed).
"""

from __future__ import annotations

import json
import os
import warnings
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Union

from . import _spoor
from ._spoor import GoodwareIndexError, InputError, RulesError, SpoorError, __version__

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow

__all__ = [
    "GoodwareIndex",
    "GoodwareIndexError",
    "InputError",
    "RulesError",
    "SpoorError",
    "SpoorWarning",
    "__version__",
    "analyze",
    "events",
    "extract",
    "extract_files",
    "extract_table",
    "ioc_types",
    "rules",
    "sniff",
    "test",
    "triage",
]

PathLike = Union[str, "os.PathLike[str]"]
Paths = Union[PathLike, Sequence[PathLike]]


class SpoorWarning(UserWarning):
    """A problem that lost part of an input but left a result; ``code`` names its kind."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} [{code}]")
        self.code = code
        self.message = message


def _warn(records: Iterable[Dict[str, str]], stacklevel: int = 3) -> None:
    for w in records:
        warnings.warn(SpoorWarning(w["code"], w["message"]), stacklevel=stacklevel)


def _paths(paths: Paths) -> List[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _bytes(data: Union[str, bytes, bytearray, memoryview]) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"expected str or bytes, got {type(data).__name__}")


def ioc_types() -> List[str]:
    """The IOC types spoor knows, as ``types=`` takes them."""
    return list(_spoor.ioc_types())


def extract(
    data: Union[str, bytes, bytearray, memoryview],
    types: Optional[Sequence[str]] = None,
    *,
    name: str = "-",
    max_sightings: int = 10,
    allowlist: bool = True,
    show_allowlisted: bool = False,
    public_only: bool = False,
    utf16: bool = True,
    structured: bool = True,
    context: bool = True,
    defang: bool = False,
) -> List[Dict[str, Any]]:
    """IOCs in a text or bytes (refanged: ``hxxp://evil[.]com`` gives ``http://evil.com``).

    Returns one dict per indicator, sorted by type and value, as ``spoor extract -f ndjson``
    writes them: ``type``, ``value``, ``flags`` (``defanged``, ``allowlisted``, ``scope``),
    ``count``, ``ports`` (IPv4/IPv6 written with a port, absent when none) and up to
    ``max_sightings`` ``sightings`` (``source`` is ``name``, ``offset``, ``line``, ``field``
    for structured logs, ``port``, ``encoding``, ``context``).

    ``types`` keeps only those types (see :func:`ioc_types`); ``allowlist=False`` turns the
    built-in allowlist off, ``show_allowlisted`` keeps its matches flagged; ``structured``
    reads sandbox reports, event logs and JSON value by value (else as plain text);
    ``defang`` writes network values defanged for sharing.
    """
    text = _spoor.extract(
        _bytes(data),
        name=name,
        types=list(types) if types is not None else None,
        max_sightings=max_sightings,
        allowlist=allowlist,
        show_allowlisted=show_allowlisted,
        public_only=public_only,
        utf16=utf16,
        structured=structured,
        context=context,
        defang=defang,
    )
    return [json.loads(line) for line in text.splitlines() if line]


def extract_files(
    paths: Paths,
    types: Optional[Sequence[str]] = None,
    *,
    max_sightings: int = 10,
    allowlist: bool = True,
    show_allowlisted: bool = False,
    public_only: bool = False,
    utf16: bool = True,
    structured: bool = True,
    context: bool = True,
    defang: bool = False,
    threads: int = 0,
) -> Dict[str, Any]:
    """IOCs in files and directories (archives and compressed logs are read inside), as the
    ``spoor extract -f json`` document (schema ``spoor.iocs/2``): ``sources`` (each source
    once, with what it gave), ``errors`` and ``iocs``, whose sightings give their ``source``
    as an index in ``sources``. Inputs that could not be read are also issued as
    :class:`SpoorWarning`."""
    doc = json.loads(
        _spoor.extract_files(
            _paths(paths),
            types=list(types) if types is not None else None,
            max_sightings=max_sightings,
            allowlist=allowlist,
            show_allowlisted=show_allowlisted,
            public_only=public_only,
            utf16=utf16,
            structured=structured,
            context=context,
            defang=defang,
            threads=threads,
        )
    )
    _warn({"code": e["code"], "message": f"{e['source']}: {e['message']}"} for e in doc.get("errors", []))
    _warn(
        {"code": s["error"]["code"], "message": f"{s['name']}: {s['error']['message']}"}
        for s in doc.get("sources", [])
        if s.get("error")
    )
    return doc


def _table_rows(iocs: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    rows = []
    for i in iocs:
        first = (i.get("sightings") or [{}])[0]
        flags = i.get("flags", {})
        rows.append(
            {
                "type": i["type"],
                "value": i["value"],
                "count": i["count"],
                "defanged": flags.get("defanged", False),
                "allowlisted": flags.get("allowlisted", False),
                "scope": flags.get("scope"),
                "first_source": first.get("source"),
                "first_offset": first.get("offset"),
                "first_line": first.get("line"),
                "first_field": first.get("field"),
                "first_context": first.get("context"),
            }
        )
    return rows


def extract_table(data: Union[str, bytes, bytearray, memoryview], types: Optional[Sequence[str]] = None, **options: Any) -> "pyarrow.Table":
    """:func:`extract` as a ``pyarrow.Table`` (pyarrow needed): one row per indicator with
    ``type``, ``value``, ``count``, the flags and the first sighting (``first_source``,
    ``first_offset``, ``first_line``, ``first_field``, ``first_context``)."""
    import pyarrow as pa

    schema = pa.schema(
        [
            ("type", pa.string()),
            ("value", pa.string()),
            ("count", pa.uint64()),
            ("defanged", pa.bool_()),
            ("allowlisted", pa.bool_()),
            ("scope", pa.string()),
            ("first_source", pa.string()),
            ("first_offset", pa.uint64()),
            ("first_line", pa.uint64()),
            ("first_field", pa.string()),
            ("first_context", pa.string()),
        ]
    )
    return pa.Table.from_pylist(_table_rows(extract(data, types, **options)), schema=schema)


def triage(
    path_or_bytes: Union[PathLike, bytes, bytearray, memoryview],
    *,
    name: Optional[str] = None,
    min_string_len: Optional[int] = None,
    max_size: int = 256 << 20,
) -> Dict[str, Any]:
    """Static triage of a PE, ELF or Mach-O sample (never executed), as the
    ``spoor triage -f json`` record: format, hashes, sections, imports, behaviours and
    ATT&CK techniques, packing, strings and IOCs, warnings. A path is memory-mapped (files
    over ``max_size`` bytes raise :class:`InputError`); bytes are named ``name``."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        text = _spoor.triage_bytes(bytes(path_or_bytes), name=name or "-", min_string_len=min_string_len)
    else:
        text = _spoor.triage_file(os.fspath(path_or_bytes), min_string_len=min_string_len, max_size=max_size)
    return json.loads(text)


def events(paths: Paths, *, full: bool = False) -> Any:
    """Normalised events of dynamic-analysis logs (CAPE/Cuckoo reports, Sysmon EVTX, XML or
    JSON, Procmon CSV, regshot, pcap; compressed or zipped), as ``spoor events -f ndjson``
    records. Damaged records and unreadable paths are issued as :class:`SpoorWarning`; when
    no path could be read at all, :class:`InputError` is raised. With ``full=True``, returns
    ``{"events": [...], "sources": [...], "warnings": [...]}`` (each source's format,
    record and event counts)."""
    doc = json.loads(_spoor.events(_paths(paths)))
    _warn(doc["warnings"])
    return doc if full else doc["events"]


class GoodwareIndex:
    """A goodware index: in how many known-good files a string, import hash or export name
    occurs (what ``spoor rules`` scores candidate strings against).

    ``GoodwareIndex.open(path)`` opens one (``"-"`` is the index shipped with spoor);
    ``build``, ``append`` and ``merge`` write one and return it opened.
    """

    def __init__(self, inner: "_spoor.GoodwareIndex") -> None:
        self._inner = inner

    @classmethod
    def open(cls, path: PathLike = "-") -> "GoodwareIndex":
        """Opens an index file (memory-mapped); ``"-"`` is the shipped index."""
        return cls(_spoor.GoodwareIndex.open(os.fspath(path)))

    @classmethod
    def build(
        cls,
        paths: Paths,
        output: PathLike,
        *,
        date: Optional[str] = None,
        min_packages: int = 1,
        max_file_size: int = 256 << 20,
    ) -> "GoodwareIndex":
        """Builds an index from every file under ``paths`` into ``output`` (written
        atomically), as ``spoor goodware build``. ``date`` is ``YYYY-MM-DD`` (today by
        default). Raises :class:`GoodwareIndexError` (``index-empty``) when no file could be
        read; unreadable files among others are issued as :class:`SpoorWarning`."""
        inner, w = _spoor.GoodwareIndex.build_with_warnings(
            _paths(paths), os.fspath(output), date=date, min_packages=min_packages, max_file_size=max_file_size
        )
        _warn(json.loads(w))
        return cls(inner)

    def append(
        self,
        paths: Paths,
        output: Optional[PathLike] = None,
        *,
        date: Optional[str] = None,
        max_file_size: int = 256 << 20,
    ) -> "GoodwareIndex":
        """Adds the files under ``paths`` to this index and writes the result to ``output``
        (this index's file by default, replaced atomically), as ``spoor goodware build
        --append``. Returns the new index; this one stays readable."""
        if output is None:
            if self.path == "-":
                raise InputError("the shipped index has no file: give output=")
            output = self.path
        inner, w = _spoor.GoodwareIndex.build_with_warnings(
            _paths(paths), os.fspath(output), date=date, max_file_size=max_file_size, base=self._inner
        )
        _warn(json.loads(w))
        return GoodwareIndex(inner)

    @classmethod
    def merge(cls, parts: Sequence[Union[PathLike, "GoodwareIndex"]], output: PathLike, *, date: Optional[str] = None) -> "GoodwareIndex":
        """Merges the indexes of disjoint parts of a goodware set into ``output``, as
        ``spoor goodware merge``: the same strings, counts and digests as one build over all
        the files when no file (by content) is in two parts; such files are issued as a
        :class:`SpoorWarning` (``index-mismatch``)."""
        names = [p.path if isinstance(p, GoodwareIndex) else os.fspath(p) for p in parts]
        inner, w = _spoor.GoodwareIndex.merge_with_warnings(names, os.fspath(output), date=date)
        _warn(json.loads(w))
        return cls(inner)

    @property
    def path(self) -> str:
        """The file the index was opened from (``"-"`` for the shipped index)."""
        return self._inner.path

    @property
    def size(self) -> int:
        """Size of the index in bytes."""
        return self._inner.size

    @property
    def meta(self) -> Dict[str, Any]:
        """The header: ``built``, ``updated``, ``files``, ``bytes``, ``strings``,
        ``imphashes``, ``exports``, ``min_len``, ``max_key_len``, ``sources``."""
        return json.loads(self._inner.meta_json())

    def string_count(self, text: str) -> int:
        """In how many goodware files ``text`` occurs as a whole string."""
        return self._inner.string_count(text)

    def containing_count(self, needle: str) -> int:
        """The file count of the most common goodware string that holds ``needle``."""
        return self._inner.containing_counts([needle])[0]

    def containing_counts(self, needles: Sequence[str]) -> List[int]:
        """:meth:`containing_count` for many needles in one pass over the index."""
        return list(self._inner.containing_counts(list(needles)))

    def imphash_count(self, imphash: str) -> int:
        """In how many goodware files the PE import hash occurs."""
        return self._inner.imphash_count(imphash)

    def export_count(self, name: str) -> int:
        """In how many goodware files the export name occurs."""
        return self._inner.export_count(name)

    def has_file(self, sha256: str) -> bool:
        """Whether a file with this SHA-256 (hex) was counted."""
        return self._inner.has_file(sha256)

    def __repr__(self) -> str:
        return repr(self._inner)


def rules(
    samples: Paths,
    *,
    family: Optional[str] = None,
    goodware: Union[None, PathLike, GoodwareIndex] = "-",
    date: Optional[str] = None,
    author: str = "spoor",
    reference: str = "-",
    template: Optional[str] = None,
) -> Dict[str, Any]:
    """YARA rules for samples (files or directories): one per sample, or one ``family``
    rule over all, scored against a goodware index (``"-"`` the shipped one, ``None`` for
    none). Returns ``{"rules": [{"name", "source", "samples", "strings", "dropped"}],
    "text": ...}`` (``text`` is the rules file); samples without usable strings are issued
    as :class:`SpoorWarning`."""
    index = goodware.path if isinstance(goodware, GoodwareIndex) else (None if goodware is None else os.fspath(goodware))
    doc = json.loads(
        _spoor.rules(
            _paths(samples),
            family=family,
            goodware=index,
            date=date,
            author=author,
            reference=reference,
            template=template,
        )
    )
    _warn(doc.pop("warnings"))
    return doc


def test(
    rules: Union[str, PathLike, Sequence[PathLike], Dict[str, Any]],
    *,
    malicious: Paths = (),
    benign: Paths = (),
    threads: int = 0,
    timeout: int = 60,
    max_size: int = 256 << 20,
    timing: bool = False,
) -> Dict[str, Any]:
    """Measures YARA rules against malicious and benign sets (files or directories), as the
    ``spoor test -f json`` report: per-rule detections and false positives, set sizes,
    ``false_positives``. ``rules`` is a rule text, a path or paths to rule files, or what
    :func:`rules` returned. Rules that do not compile raise :class:`RulesError`."""
    sources: List[tuple] = []
    paths: List[str] = []
    if isinstance(rules, dict):
        sources = [("rules.yar", rules["text"])]
    elif isinstance(rules, str) and ("{" in rules or "\n" in rules) and not os.path.exists(rules):
        sources = [("rules.yar", rules)]
    else:
        paths = _paths(rules)  # type: ignore[arg-type]
    doc = json.loads(
        _spoor.test(
            sources,
            paths,
            _paths(malicious) if malicious else [],
            _paths(benign) if benign else [],
            threads=threads,
            timeout=timeout,
            max_size=max_size,
            timing=timing,
        )
    )
    _warn(doc.pop("warnings"))
    return doc


# pytest collects module-level functions named test*: this one is not a test.
test.__test__ = False  # type: ignore[attr-defined]


def analyze(
    samples: Paths = (),
    logs: Paths = (),
    *,
    types: Optional[Sequence[str]] = None,
    benign: Paths = (),
    labels: Optional[PathLike] = None,
    goodware: Union[PathLike, GoodwareIndex] = "-",
    date: Optional[str] = None,
    rules: Optional[bool] = None,
    threads: int = 0,
) -> Dict[str, Any]:
    """One-shot analysis, the library call ``spoor analyze`` makes: ``samples`` (triage
    reports), ``iocs`` (every indicator, with provenance), ``dynamic`` (what the logs' events
    show: process tree, persistence, clean-up), ``log_summaries``, ``techniques``,
    ``sigma`` (always None here), ``stats`` (how often inputs were read), ``complete``
    (false when some input was not read whole). With ``rules`` (by default when ``benign``
    is given): ``rules`` (as :func:`rules` gives them; a family rule per family of the
    ``labels`` file), ``rules_text`` (``rules.yar``) and ``rules_test`` (the ``spoor test``
    report on the samples and ``benign``), made with the ``goodware`` index (``"-"`` the
    shipped one). The Markdown/HTML report files are written by ``spoor analyze``."""
    if isinstance(goodware, GoodwareIndex):
        goodware = goodware.path
    doc = json.loads(
        _spoor.analyze(
            _paths(samples) if samples else [],
            logs=_paths(logs) if logs else [],
            types=list(types) if types is not None else None,
            benign=_paths(benign) if benign else [],
            labels=os.fspath(labels) if labels is not None else None,
            goodware=os.fspath(goodware),
            date=date,
            rules=rules,
            threads=threads,
        )
    )
    _warn(doc.pop("warnings"))
    return doc


def sniff(data: bytes) -> str:
    """The executable format of bytes as triage reads it (``pe``, ``elf``, ``macho``, ...)."""
    return _spoor.sniff(bytes(data))
