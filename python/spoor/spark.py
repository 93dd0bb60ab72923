"""spoor on Apache Spark, through PySpark's public API (``mapInArrow``): IOC extraction over
a column of log lines or documents, triage and YARA rule scanning over files read with the
``binaryFile`` source, and a goodware index built per partition and merged.

Each executor runs the spoor extension in its Python workers (install the ``spoor`` wheel
on every node, as any Python dependency of a Spark job); the work in each batch runs
without the GIL. Nothing here collects data on the driver but the small per-partition
goodware indexes.

>>> from spoor import spark as ss
>>> lines = spark.read.text("logs/*.log")                     # doctest: +SKIP
>>> ss.extract_iocs(lines, "value").orderBy("count", ascending=False).show()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import tempfile
from typing import Iterator, List, Optional, Sequence, Union

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from . import GoodwareIndex, _paths
from . import _spoor

__all__ = [
    "IOC_SCHEMA",
    "TRIAGE_SCHEMA",
    "SCAN_SCHEMA",
    "extract_iocs",
    "extract_iocs_partial",
    "triage_files",
    "scan_files",
    "goodware_index",
]

#: Rows of :func:`extract_iocs_partial` and :func:`extract_iocs`.
IOC_SCHEMA = "type string, value string, count long, first_seen long"
#: Rows of :func:`triage_files`: the report is the ``spoor triage -f json`` record as text.
TRIAGE_SCHEMA = "path string, length long, format string, sha256 string, report string, error string"
#: Rows of :func:`scan_files`: one per file; ``rules`` the names of the rules that matched.
SCAN_SCHEMA = "path string, length long, rules array<string>, error string"

_LAST = (1 << 63) - 1


def extract_iocs_partial(
    df: DataFrame,
    column: str,
    order: Optional[str] = None,
    *,
    types: Optional[Sequence[str]] = None,
    allowlist: bool = True,
    public_only: bool = False,
) -> DataFrame:
    """IOCs of a string (or binary) ``column``, one row per indicator and partition:
    ``(type, value, count, first_seen)``. ``count`` is the number of sightings in the
    partition, ``first_seen`` the smallest ``order`` value of a row that holds it; ``order`` is a numeric or timestamp column (line number, event time,
    row id), by default ``monotonically_increasing_id()`` (rows in input order). Rows are
    read as ``spoor extract`` reads a file of those lines (refanged, allowlisted, without
    UTF-16 recovery); null rows are skipped. Aggregate with :func:`extract_iocs`."""
    kinds = list(types) if types is not None else None
    order_col = F.monotonically_increasing_id() if order is None else F.col(order)
    selected = df.select(
        F.col(column).cast("string").alias("text"),
        F.coalesce(order_col.cast("long"), F.lit(_LAST)).alias("order"),
    )

    def partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from spoor import _spoor as native

        # (type, value) -> [count, first order value]
        seen = {}
        for batch in batches:
            t, v, c, f = native.extract_rows(
                batch.column(0).to_pylist(),
                batch.column(1).to_pylist(),
                types=kinds,
                allowlist=allowlist,
                public_only=public_only,
            )
            for kind, value, count, first in zip(t, v, c, f):
                entry = seen.get((kind, value))
                if entry is None:
                    seen[(kind, value)] = [count, first]
                else:
                    entry[0] += count
                    entry[1] = min(entry[1], first)
        if seen:
            keys = list(seen)
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array([k[0] for k in keys], pa.string()),
                    pa.array([k[1] for k in keys], pa.string()),
                    pa.array([seen[k][0] for k in keys], pa.int64()),
                    pa.array([seen[k][1] for k in keys], pa.int64()),
                ],
                names=["type", "value", "count", "first_seen"],
            )

    return selected.mapInArrow(partition, IOC_SCHEMA)


def extract_iocs(
    df: DataFrame,
    column: str,
    order: Optional[str] = None,
    *,
    types: Optional[Sequence[str]] = None,
    allowlist: bool = True,
    public_only: bool = False,
) -> DataFrame:
    """IOCs of ``column`` over the whole DataFrame, exact: the per-partition rows of
    :func:`extract_iocs_partial` summed by ``(type, value)``, ``first_seen`` the smallest.
    The counts equal those of ``spoor extract`` over a file of the same lines."""
    partial = extract_iocs_partial(df, column, order, types=types, allowlist=allowlist, public_only=public_only)
    return partial.groupBy("type", "value").agg(
        F.sum("count").cast("long").alias("count"), F.min("first_seen").alias("first_seen")
    )


def _files(df: DataFrame) -> DataFrame:
    """``path`` and ``content`` of a ``binaryFile`` DataFrame (or any with those columns)."""
    return df.select(F.col("path").cast("string").alias("path"), F.col("content").cast("binary").alias("content"))


def triage_files(df: DataFrame, *, min_string_len: Optional[int] = None) -> DataFrame:
    """Static triage of every file of a ``binaryFile`` DataFrame
    (``spark.read.format("binaryFile").load(...)``): one row per file with the format, the
    SHA-256 and the ``spoor triage -f json`` record as a JSON string (parse it with
    ``from_json`` or ``json.loads``). A file that cannot be triaged gives a row with
    ``error`` set, never a failed job."""

    def partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import json

        from spoor import _spoor as native

        for batch in batches:
            paths = batch.column(0).to_pylist()
            contents = batch.column(1).to_pylist()
            rows = {k: [] for k in ("path", "length", "format", "sha256", "report", "error")}
            for path, content in zip(paths, contents):
                report = fmt = sha = error = None
                try:
                    if content is None:
                        raise ValueError("no content")
                    report = native.triage_bytes(content, name=path, min_string_len=min_string_len)
                    parsed = json.loads(report)
                    fmt = parsed.get("format")
                    sha = parsed.get("hashes", {}).get("sha256")
                except Exception as e:  # noqa: BLE001 - a row, never a failed job
                    error = f"{type(e).__name__}: {e}"
                rows["path"].append(path)
                rows["length"].append(len(content) if content is not None else None)
                rows["format"].append(fmt)
                rows["sha256"].append(sha)
                rows["report"].append(report)
                rows["error"].append(error)
            yield pa.RecordBatch.from_pydict(
                rows,
                schema=pa.schema(
                    [
                        ("path", pa.string()),
                        ("length", pa.int64()),
                        ("format", pa.string()),
                        ("sha256", pa.string()),
                        ("report", pa.string()),
                        ("error", pa.string()),
                    ]
                ),
            )

    return _files(df).mapInArrow(partition, TRIAGE_SCHEMA)


def scan_files(
    df: DataFrame,
    rules: Union[str, dict, Sequence[str]],
    *,
    timeout: int = 60,
) -> DataFrame:
    """Scans every file of a ``binaryFile`` DataFrame with YARA rules (a rule text, what
    :func:`spoor.rules` returned, or rule file paths readable on every node): one row per
    file, ``rules`` the names that matched, ``error`` set when a file could not be scanned
    (a timeout, no content), never a failed job. The rules are compiled once per
    partition; a rule text that does not compile fails at once, on the driver."""
    if isinstance(rules, dict):
        sources, paths = [("rules.yar", rules["text"])], []
    elif isinstance(rules, str) and not os.path.exists(rules):
        sources, paths = [("rules.yar", rules)], []
    else:
        sources, paths = [], _paths(rules)
    # fail early, with the compiler's message, rather than in every task
    _spoor.Rules.compile(sources, paths)

    def partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from spoor import _spoor as native

        compiled = native.Rules.compile(sources, paths)
        for batch in batches:
            contents = batch.column(1).to_pylist()
            results = compiled.scan_many(contents, timeout=timeout)
            yield pa.RecordBatch.from_pydict(
                {
                    "path": batch.column(0).to_pylist(),
                    "length": [len(c) if c is not None else None for c in contents],
                    "rules": [r[0] for r in results],
                    "error": [r[1] for r in results],
                },
                schema=pa.schema(
                    [
                        ("path", pa.string()),
                        ("length", pa.int64()),
                        ("rules", pa.list_(pa.string())),
                        ("error", pa.string()),
                    ]
                ),
            )

    return _files(df).mapInArrow(partition, SCAN_SCHEMA)


def goodware_index(
    df: DataFrame,
    output: Union[str, "os.PathLike[str]"],
    *,
    partitions: Optional[int] = None,
    date: Optional[str] = None,
) -> GoodwareIndex:
    """A goodware index of every file of a ``binaryFile`` DataFrame, written to ``output``
    on the driver: the files are spread over ``partitions`` by the SHA-256 of their content
    (so a file and its copies land in one partition and the parts are disjoint), each
    partition builds its index in memory, and the driver merges them
    (``spoor goodware merge``). The result holds the same strings, counts and file digests
    as ``spoor goodware build`` over the same files; its header lists one source per
    partition. Only the part indexes travel to the driver."""
    files = _files(df).withColumn("sha", F.sha2("content", 256))
    n = partitions or files.rdd.getNumPartitions()
    spread = files.repartition(n, "sha").select("content")

    def partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        from spoor import _spoor as native

        builder = native.IndexBuilder()
        for batch in batches:
            builder.add_many(batch.column(0).to_pylist())
        ctx = TaskContext.get()
        label = f"spark partition {ctx.partitionId() if ctx else 0}"
        data = builder.write(label, date=date)
        if data is not None:
            yield pa.RecordBatch.from_pydict(
                {"part": [label], "index": [data]},
                schema=pa.schema([("part", pa.string()), ("index", pa.binary())]),
            )

    parts = spread.mapInArrow(partition, "part string, index binary").collect()
    if not parts:
        err = _spoor.GoodwareIndexError("no file was indexed: the DataFrame holds no readable content")
        err.code = "index-empty"
        raise err
    with tempfile.TemporaryDirectory(prefix="spoor-parts-") as tmp:
        names: List[str] = []
        for i, row in enumerate(sorted(parts, key=lambda r: r["part"])):
            name = os.path.join(tmp, f"part-{i}.idx")
            with open(name, "wb") as f:
                f.write(row["index"])
            names.append(name)
        return GoodwareIndex.merge(names, output, date=date)
