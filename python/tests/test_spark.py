"""spoor.spark in Spark local mode with two workers (``local[2]``): results equal the command
line's on the corpus. Skipped without PySpark or Java, unless SPOOR_REQUIRE_SPARK=1."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("pyspark")

import spoor  # noqa: E402
from spoor import spark as ss  # noqa: E402

DATE = "2026-11-25"

LOGS = [
    "corpus/logs/reports/example-cert-2024-031.txt",
    "corpus/logs/regshot/ashdrop_v2-regshot.txt",
    "corpus/logs/sysmon/session-2024-03-12.ndjson",
    "corpus/logs/procmon/lockjaw_v1-procmon.csv",
]


def _lines(root, path):
    text = (root / path).read_text(encoding="utf-8")
    return [(i + 1, line) for i, line in enumerate(text.split("\n")) if not (i == len(text.split("\n")) - 1 and line == "")]


@pytest.mark.parametrize("path", LOGS)
def test_extract_iocs_equals_the_cli(spark, cli, root, path):
    """Lines spread over three partitions (and batches of 16 rows): counts and the line of
    the first sighting equal `spoor extract` over the file."""
    out, _, _ = cli("extract", path, "--raw-logs", "--no-utf16", "--no-context", "-f", "ndjson")
    want = {}
    for line in out.splitlines():
        r = json.loads(line)
        want[(r["type"], r["value"])] = (r["count"], r["sightings"][0]["line"])
    assert len(want) >= 5, path
    df = spark.createDataFrame(_lines(root, path), "line long, text string").repartition(3)
    assert df.rdd.getNumPartitions() == 3
    got = {(r["type"], r["value"]): (r["count"], r["first_seen"]) for r in ss.extract_iocs(df, "text", "line").collect()}
    assert got == want
    # the per-partition rows add up to the same counts
    partial = ss.extract_iocs_partial(df, "text", "line").collect()
    assert len(partial) >= len(want)
    sums = {}
    for r in partial:
        sums[(r["type"], r["value"])] = sums.get((r["type"], r["value"]), 0) + r["count"]
    assert sums == {k: v[0] for k, v in want.items()}


def test_extract_iocs_defaults_and_types(spark):
    rows = [("see hxxp://evil[.]example[.]com/a",), (None,), ("and 203.0.113.5 then hxxp://evil[.]example[.]com/a",)]
    df = spark.createDataFrame(rows, "text string")
    got = {(r["type"], r["value"]): (r["count"], r["first_seen"]) for r in ss.extract_iocs(df, "text").collect()}
    assert got[("url", "http://evil.example.com/a")][0] == 2
    assert got[("ipv4", "203.0.113.5")][0] == 1
    only = ss.extract_iocs(df, "text", types=["ipv4"]).collect()
    assert [(r["type"], r["value"]) for r in only] == [("ipv4", "203.0.113.5")]


def _binary_files(spark, root, *dirs):
    return (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .load([str(root / d) for d in dirs])
    )


def test_triage_files_equals_the_cli(spark, cli_json, root):
    df = _binary_files(spark, root, "corpus/malicious/ashdrop", "corpus/malicious/orchard").repartition(2)
    rows = {r["path"].split("/corpus/", 1)[1]: r for r in ss.triage_files(df).collect()}
    assert len(rows) == 6
    for rel, row in rows.items():
        assert row["error"] is None, row["error"]
        want = cli_json("triage", "corpus/" + rel, "-f", "json")[0]
        got = json.loads(row["report"])
        want["name"] = got["name"]
        assert got == want
        assert row["sha256"] == want["hashes"]["sha256"] and row["format"] == want["format"]


def test_triage_and_scan_give_error_rows_not_failed_jobs(spark):
    df = spark.createDataFrame([("a", None), ("b", bytearray(b"MZ\x90\x00 not really a PE"))], "path string, content binary")
    rows = {r["path"]: r for r in ss.triage_files(df).collect()}
    assert rows["a"]["error"] and rows["a"]["report"] is None
    assert rows["b"]["error"] is None
    scanned = {r["path"]: r for r in ss.scan_files(df, "rule any_mz { condition: uint16(0) == 0x5a4d }").collect()}
    assert scanned["a"]["error"] == "no content"
    assert scanned["b"]["rules"] == ["any_mz"]
    with pytest.raises(spoor.RulesError):
        ss.scan_files(df, "rule broken { condition: nonsense }")


def test_scan_files_equals_the_cli(spark, cli, cli_json, root, tmp_path):
    yar = tmp_path / "rules.yar"
    text = ""
    for family in ("ashdrop", "orchard", "shroud"):
        out = tmp_path / f"{family}.yar"
        cli("rules", f"corpus/malicious/{family}", "--family", family, "--date", DATE, "-o", str(out))
        text += out.read_text() + "\n"
    yar.write_text(text)
    want = cli_json("test", str(yar), "--malicious", "corpus/malicious", "--benign", "corpus/benign", "-f", "json", "--no-timing")
    df = _binary_files(spark, root, "corpus/malicious", "corpus/benign").repartition(4)
    rows = ss.scan_files(df, text).collect()
    assert all(r["error"] is None for r in rows)
    benign = [r for r in rows if "/corpus/benign/" in r["path"]]
    malicious = [r for r in rows if "/corpus/malicious/" in r["path"]]
    assert len(malicious) == want["sets"]["malicious"]["files"]
    assert len(benign) == want["sets"]["benign"]["files"]
    assert sum(1 for r in malicious if r["rules"]) == want["sets"]["malicious"]["matched_any"] > 0
    assert sum(1 for r in benign if r["rules"]) == want["sets"]["benign"]["matched_any"]
    for rule in want["rules"]:
        hits = sorted(r["path"].split("/corpus/", 1)[1] for r in malicious if rule["name"] in r["rules"])
        assert len(hits) == rule["true_positives"] + len(rule["cross_family_hits"]), rule["name"]
        assert all(h.split("/")[1] == rule["family"] for h in hits[: rule["true_positives"]] if not rule["cross_family_hits"])


def test_goodware_index_per_partition_equals_one_build(spark, cli, root, tmp_path):
    whole = tmp_path / "whole.idx"
    cli("goodware", "build", "corpus/benign", "-o", str(whole), "--date", DATE)
    df = _binary_files(spark, root, "corpus/benign")
    merged = ss.goodware_index(df, tmp_path / "spark.idx", partitions=3, date=DATE)

    def body(path):
        data = open(path, "rb").read()
        return data[16 + int.from_bytes(data[12:16], "little"):]

    assert body(merged.path) == body(whole)
    cli_index = spoor.GoodwareIndex.open(whole)
    for key in ("files", "bytes", "strings", "imphashes", "exports", "built", "updated"):
        assert merged.meta[key] == cli_index.meta[key], key
    assert len(merged.meta["sources"]) == 3
    assert sum(s["files"] for s in merged.meta["sources"]) == cli_index.meta["files"]
