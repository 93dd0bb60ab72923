#!/usr/bin/env python3
"""Scale-out benchmark: the same two jobs with the plain command line and with spoor.spark in
Spark local mode at 1 and 2 workers, on one machine.

  1. IOC extraction over a generated log (realistic cardinality: a few hundred hot
     indicators seen everywhere, a long tail seen a few times, most lines without any);
  2. a YARA scan of a goodware set (every file, rules generated from the corpus).

Run from the repository root, in a virtual environment holding the spoor package (release
build: `pip install .`), pyspark, pyarrow and pandas, with a Java runtime:

  python benches/spark/run.py --lines 1000000 --benign target/extended-benign

It prints one table: wall time, throughput, and Spark's time over the CLI's. Spark times are
of the job alone (the session is started, and its Python workers warmed up, before the
clock starts); the session start is reported on its own. Results are checked equal to the
CLI's (same IOC counts, same number of files matched).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path


def generate_log(path: Path, lines: int, seed: int = 7) -> None:
    """Web-proxy-like lines. Indicators use documentation ranges and example names only."""
    rnd = random.Random(seed)
    hot_domains = [f"cdn{i}.example.com" for i in range(200)]
    tail_domains = [f"h{i:06d}.example.net" for i in range(50_000)]
    hot_ips = [f"203.0.113.{i}" for i in range(1, 255)]
    tail_ips = [f"198.51.100.{i}" for i in range(1, 255)] + [f"192.0.2.{i}" for i in range(1, 255)]
    users = [f"user{i:04d}" for i in range(3000)]
    with open(path, "w") as out:
        for n in range(lines):
            ts = f"2024-03-12T{(n // 3600) % 24:02d}:{(n // 60) % 60:02d}:{n % 60:02d}Z"
            r = rnd.random()
            user = rnd.choice(users)
            if r < 0.55:
                # most lines: no indicator at all
                out.write(f"{ts} proxy[{n % 97}]: session {n:08d} user={user} status=200 bytes={rnd.randint(100, 90000)} cache=hit\n")
            elif r < 0.85:
                d = rnd.choice(hot_domains)
                out.write(f"{ts} proxy[{n % 97}]: GET http://{d}/static/{rnd.randint(1, 50)}.js user={user} src={rnd.choice(hot_ips)}\n")
            elif r < 0.97:
                d = rnd.choice(tail_domains)
                out.write(f"{ts} proxy[{n % 97}]: CONNECT {d}:443 user={user} src={rnd.choice(tail_ips)} sni={d}\n")
            else:
                h = "%064x" % rnd.getrandbits(256)
                out.write(f"{ts} av[{n % 13}]: quarantined C:\\Users\\{user}\\Downloads\\invoice_{n}.exe sha256={h}\n")


def timed(cmd, **kw):
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, check=False, **kw)
    elapsed = time.perf_counter() - start
    if out.returncode not in (0, 1):
        sys.exit(f"{' '.join(map(str, cmd))}: exit {out.returncode}\n{out.stderr.decode()[-2000:]}")
    return elapsed, out.stdout


def spark_child(args) -> None:
    """One Spark configuration, in a process of its own; prints one JSON line."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from spoor import spark as ss

    t0 = time.perf_counter()
    spark = (
        SparkSession.builder.master(f"local[{args.workers}]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", str(2 * args.workers))
        .config("spark.sql.files.maxPartitionBytes", str(16 << 20))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # warm-up: start the Python workers and load the extension
    ss.extract_iocs(spark.createDataFrame([("http://example.com/a",)] * 8, "value string"), "value").collect()
    startup = time.perf_counter() - t0
    result = {"workers": args.workers, "startup": startup}

    lines = spark.read.text(str(args.log))
    t = time.perf_counter()
    rows = ss.extract_iocs(lines, "value").collect()
    result["extract"] = time.perf_counter() - t
    result["extract_iocs"] = len(rows)
    result["extract_sightings"] = sum(r["count"] for r in rows)

    if args.benign:
        files = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(str(args.benign))
        rules = Path(args.rules).read_text()
        t = time.perf_counter()
        scanned = ss.scan_files(files, rules).select("rules", "error").collect()
        result["scan"] = time.perf_counter() - t
        result["scan_files"] = len(scanned)
        result["scan_matched"] = sum(1 for r in scanned if r["rules"])
        result["scan_errors"] = sum(1 for r in scanned if r["error"])
    spark.stop()
    print(json.dumps(result))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--benign", type=Path, help="a goodware set to scan (default: corpus/benign)")
    p.add_argument("--spoor", default="target/release/spoor", help="the command line to compare with")
    p.add_argument("--work", type=Path, default=Path("target/bench-spark"))
    p.add_argument("--workers", default="1,2")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--rules", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        args.workers = int(args.workers)
        spark_child(args)
        return

    args.work.mkdir(parents=True, exist_ok=True)
    log = args.work / f"proxy-{args.lines}.log"
    if not log.exists():
        generate_log(log, args.lines)
    size = log.stat().st_size
    benign = args.benign or Path("corpus/benign")
    rules = args.work / "corpus.yar"
    text = ""
    for family in sorted(os.listdir("corpus/malicious")):
        if (Path("corpus/malicious") / family).is_dir() and family != "sysmon":
            o = args.work / f"{family}.yar"
            subprocess.run([args.spoor, "rules", f"corpus/malicious/{family}", "--family", family, "--date", "2026-11-25", "-o", str(o)], check=True, capture_output=True)
            text += o.read_text() + "\n"
    rules.write_text(text)
    benign_bytes = sum(f.stat().st_size for f in benign.rglob("*") if f.is_file() and not f.is_symlink())
    benign_files = sum(1 for f in benign.rglob("*") if f.is_file() and not f.is_symlink())

    rows = []
    for threads in ("1", "0"):
        t, out = timed([args.spoor, "extract", str(log), "--raw-logs", "--no-utf16", "--no-context", "--max-sightings", "1", "-f", "ndjson", "-j", threads])
        iocs = [json.loads(line) for line in out.decode().splitlines()]
        rows.append(("extract", f"CLI -j {threads if threads != '0' else os.cpu_count()}", t, size, f"{len(iocs)} IOCs, {sum(i['count'] for i in iocs)} sightings"))
        cli_extract = (len(iocs), sum(i["count"] for i in iocs))
        t, out = timed([args.spoor, "test", str(rules), "--benign", str(benign), "-f", "json", "--no-timing", "-j", threads])
        report = json.loads(out)
        rows.append(("scan", f"CLI -j {threads if threads != '0' else os.cpu_count()}", t, benign_bytes, f"{report['sets']['benign']['files']} files, {report['sets']['benign']['matched_any']} matched"))
        cli_scan = (report["sets"]["benign"]["files"], report["sets"]["benign"]["matched_any"])
    for workers in args.workers.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--workers", workers, "--log", str(log), "--rules", str(rules), "--benign", str(benign)],
            capture_output=True,
            check=True,
        )
        r = json.loads(out.stdout.decode().strip().splitlines()[-1])
        same = (r["extract_iocs"], r["extract_sightings"]) == cli_extract
        rows.append(("extract", f"Spark local[{workers}]", r["extract"], size, f"{r['extract_iocs']} IOCs, {r['extract_sightings']} sightings{'' if same else ' (DIFFERS from CLI)'}; session start {r['startup']:.1f} s"))
        same = (r["scan_files"], r["scan_matched"]) == cli_scan
        rows.append(("scan", f"Spark local[{workers}]", r["scan"], benign_bytes, f"{r['scan_files']} files, {r['scan_matched']} matched, {r['scan_errors']} errors{'' if same else ' (DIFFERS from CLI)'}"))

    print(f"log: {log} ({size / 1e6:.1f} MB, {args.lines} lines); goodware: {benign} ({benign_files} files, {benign_bytes / 1e6:.1f} MB); {os.cpu_count()} cores")
    print(f"| job | runner | wall s | MB/s | vs CLI -j 1 | result |")
    print("|---|---|---:|---:|---:|---|")
    base = {job: t for job, runner, t, _, _ in rows if runner == "CLI -j 1"}
    for job, runner, t, n, note in rows:
        print(f"| {job} | {runner} | {t:.2f} | {n / 1e6 / t:.1f} | {t / base[job]:.2f}x | {note} |")


if __name__ == "__main__":
    main()
