"""The sigma-cli peer of `cargo bench --bench sigma`.

Converts the same Sigma rules with sigma-cli's SQLite backend (pySigma, no pipeline), loads
the same Sysmon NDJSON events into an in-memory SQLite table (one column per field), runs
every query, and prints one JSON line: conversion, load and query seconds, queries,
matches and peak RSS. Usage: python peer.py RULES_DIR LOG.ndjson
"""
import json
import resource
import sqlite3
import subprocess
import sys
import time


def main():
    rules, log = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "sigma.cli.main", "convert", "-t", "sqlite", "--without-pipeline",
                          "--skip-unsupported", rules], capture_output=True, text=True)
    if out.returncode != 0:
        # older sigma-cli has no module entry point; the console script is beside python
        exe = sys.executable.rsplit("/", 1)[0] + "/sigma"
        out = subprocess.run([exe, "convert", "-t", "sqlite", "--without-pipeline", "--skip-unsupported", rules],
                             capture_output=True, text=True)
    convert_s = time.perf_counter() - t0
    queries = [q for q in out.stdout.splitlines() if q.startswith("SELECT")]
    t1 = time.perf_counter()
    rows, columns = [], {"EventID": None, "Channel": None, "Provider_Name": None, "Computer": None}
    with open(log, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            w = d.get("winlog", {})
            row = {"EventID": w.get("event_id"), "Channel": w.get("channel"),
                   "Provider_Name": w.get("provider_name"), "Computer": w.get("computer_name")}
            row.update(w.get("event_data", {}))
            for k in row:
                columns.setdefault(k, None)
            rows.append(row)
    db = sqlite3.connect(":memory:")
    cols = list(columns)
    db.execute("CREATE TABLE logs (" + ", ".join(f'"{c}" TEXT' for c in cols) + ")")
    db.executemany("INSERT INTO logs VALUES (" + ",".join("?" * len(cols)) + ")",
                   ([r.get(c) for c in cols] for r in rows))
    load_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    matches = failed = 0
    for q in queries:
        try:
            matches += sum(1 for _ in db.execute(q))
        except sqlite3.Error:
            failed += 1
    query_s = time.perf_counter() - t2
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"convert_s": convert_s, "load_s": load_s, "query_s": query_s, "queries": len(queries),
                      "failed_queries": failed, "matches": matches, "events": len(rows), "peak_rss_bytes": peak}))


if __name__ == "__main__":
    main()
