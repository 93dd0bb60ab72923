#!/usr/bin/env python3
"""Rules on real-world binaries: the benchmark of issue 15 (`cargo bench --bench rules_realworld`
runs this script with the bench's own spoor binary; it can also be run directly).

Data: the test split of the real goodware set (`sh corpus/real-goodware.sh target/real-goodware`,
its MANIFEST.tsv). Nothing of the test split is in the shipped goodware index, which is built from
the train split and corpus/benign, so every rule is made against an index built without its
package.

Two measurements, for each spoor binary given (SPOOR, and SPOOR_PREVIOUS when set, in the same
run, on the same samples):

* leave-package-out: SPOOR_RW_SAMPLES (default 120) binaries of the test split, chosen
  deterministically (round-robin over the packages, files of 8 KiB to SPOOR_RW_MAX_SIZE bytes,
  default 4 MiB, each package's files
  ordered by the SHA-256 of their path); one `spoor rules SAMPLE` each (timed), then all rules
  scanned over the whole test split with `spoor test`. A match on a file of another package is a
  false positive; a match on another sample of another package is a cross-match (of n*(n-1)
  ordered pairs). Matches on other files of the sample's own package are counted apart.
* versions as families: for each test package with three or more releases holding the same file
  (same path inside the release; at most SPOOR_RW_FAMILIES, default 12), a family rule from the
  two oldest releases (`spoor rules A B --family NAME`) must match the newest and nothing else in
  the test split (matches on other files of the same package are counted apart).

For a narrow check, SPOOR_RW_PACKAGES (comma-separated package names) keeps only those packages'
samples and families; the scan still covers the whole test split.

Extra arguments for every `spoor rules` call: SPOOR_RULES_ARGS (current) and
SPOOR_PREVIOUS_RULES_ARGS (previous), split on spaces; e.g. `--goodware data/goodware/corpus-benign.idx`
gives the current rules logic with the corpus-only index that spoor shipped before.

Output: target/bench/rules_realworld.md and .json (or SPOOR_RW_OUT).
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATE = "2026-12-04"


def env(name, default):
    v = os.environ.get(name)
    return v if v else default


def load_manifest(set_dir):
    rows = []
    with open(os.path.join(set_dir, "MANIFEST.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(header, line.rstrip("\n").split("\t")))
            r["abs"] = os.path.join(set_dir, r["path"])
            rows.append(r)
    return rows


def release_key(version):
    """Orders versions numerically where they are numbers (1.10 after 1.9)."""
    return [int(p) if p.isdigit() else p for p in re.split(r"[.+~:-]", version)]


MAX_SIZE = int(os.environ.get("SPOOR_RW_MAX_SIZE") or 4 << 20)


def pick_samples(test, n):
    by_pkg = defaultdict(list)
    for r in test:
        if 8 << 10 <= int(r["size"]) <= MAX_SIZE:
            by_pkg[r["package"]].append(r)
    seen = set()
    for pkg in by_pkg:
        uniq = []
        for r in sorted(by_pkg[pkg], key=lambda r: hashlib.sha256(r["path"].encode()).hexdigest()):
            if r["sha256"] not in seen:
                seen.add(r["sha256"])
                uniq.append(r)
        by_pkg[pkg] = uniq
    picked, i = [], 0
    pkgs = sorted(by_pkg)
    while len(picked) < n and any(len(by_pkg[p]) > i for p in pkgs):
        for p in pkgs:
            if i < len(by_pkg[p]) and len(picked) < n:
                picked.append(by_pkg[p][i])
        i += 1
    return picked


def pick_families(test, n):
    """(package, [three releases' rows of one file, oldest first])."""
    by_pkg = defaultdict(lambda: defaultdict(dict))
    for r in test:
        parts = r["path"].split("/")
        # SPLIT/PACKAGE/VERSION/ARTIFACT[-PLATFORM]/inner path
        inner = "/".join(parts[3:])
        if 8 << 10 <= int(r["size"]) <= MAX_SIZE:
            by_pkg[r["package"]][inner][r["version"]] = r
    out = []
    for pkg in sorted(by_pkg):
        best = None
        for inner in sorted(by_pkg[pkg]):
            versions = by_pkg[pkg][inner]
            if len(versions) < 3:
                continue
            rows = [versions[v] for v in sorted(versions, key=release_key)][-3:]
            if len({r["sha256"] for r in rows}) < 3:
                continue  # the same bytes in two releases: no test of generalisation
            size = int(rows[-1]["size"])
            # prefer Windows binaries, then the largest file
            score = (inner.endswith((".pyd", ".dll", ".exe", ".node")), size)
            if best is None or score > best[0]:
                best = (score, rows)
        if best:
            out.append((pkg, best[1]))
    return out[:n]


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


RULE_RE = re.compile(r"^(\s*(?:private\s+|global\s+)*rule\s+)([A-Za-z_][A-Za-z0-9_]*)", re.M)


def prefixed(text, prefix):
    return RULE_RE.sub(lambda m: m.group(1) + prefix + m.group(2), text)


def scan(spoor, rule_files, test_dir, work, tag):
    out = os.path.join(work, f"test-{tag}.json")
    p = run([spoor, "test", *rule_files, "--benign", test_dir, "-f", "json", "-o", out, "--no-timing"])
    if p.returncode not in (0, 3):
        raise SystemExit(f"spoor test failed ({p.returncode}): {p.stderr.decode(errors='replace')[-2000:]}")
    with open(out, encoding="utf-8") as f:
        return json.load(f)


def leave_package_out(spoor, extra, samples, test_dir, by_path, work, tag):
    rules_dir = os.path.join(work, f"lpo-{tag}")
    os.makedirs(rules_dir, exist_ok=True)
    files, seconds, no_rule = [], [], []
    for i, s in enumerate(samples):
        out = os.path.join(rules_dir, f"s{i:03}.yar")
        t0 = time.monotonic()
        p = run([spoor, "rules", s["abs"], "-o", out, "--date", DATE, *extra])
        seconds.append(time.monotonic() - t0)
        text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
        if p.returncode != 0 or not RULE_RE.search(text):
            no_rule.append(s["path"])
            continue
        with open(out, "w", encoding="utf-8") as f:
            f.write(prefixed(text, f"S{i:03}_"))
        files.append((i, out))
    report = scan(spoor, [f for _, f in files], test_dir, work, f"lpo-{tag}")
    sample_paths = {os.path.normpath(s["abs"]): i for i, s in enumerate(samples)}
    per_rule = []
    hits_by_sample = defaultdict(set)
    for r in report["rules"]:
        m = re.match(r"S(\d{3})_", r["name"])
        if not m:
            continue
        i = int(m.group(1))
        own_pkg = samples[i]["package"]
        fp, same_pkg, cross, self_hit = [], [], [], False
        for hit in r["benign_hits"]:
            hp = os.path.normpath(hit)
            row = by_path.get(hp)
            j = sample_paths.get(hp)
            if j == i:
                self_hit = True
            elif row is not None and row["package"] == own_pkg:
                same_pkg.append(hit)
            else:
                fp.append(hit)
                if j is not None:
                    cross.append(j)
        hits_by_sample[i] |= set(cross)
        per_rule.append({"sample": samples[i]["path"], "rule": r["name"], "matches_own_sample": self_hit,
                         "false_positives": len(fp), "same_package_matches": len(same_pkg),
                         "cross_matches": len(cross), "fp_files": fp[:20]})
    n = len(samples)
    cross_pairs = sum(len(v) for v in hits_by_sample.values())
    pairs = n * (n - 1)
    return {
        "samples": n,
        "rules": len(files),
        "no_rule": no_rule,
        "rules_with_fp": sum(1 for r in per_rule if r["false_positives"] > 0),
        "false_positives": sum(r["false_positives"] for r in per_rule),
        "rules_matching_own_package": sum(1 for r in per_rule if r["same_package_matches"] > 0),
        "rules_missing_own_sample": sum(1 for r in per_rule if not r["matches_own_sample"]),
        "cross_match_pairs": cross_pairs,
        "sample_pairs": pairs,
        "cross_match_rate": cross_pairs / pairs if pairs else 0.0,
        "seconds_per_rule_median": sorted(seconds)[len(seconds) // 2] if seconds else 0.0,
        "seconds_per_rule_mean": sum(seconds) / len(seconds) if seconds else 0.0,
        "test_files_scanned": report["sets"]["benign"]["files"],
        "per_rule": per_rule,
    }


def versions_as_families(spoor, extra, families, test_dir, by_path, work, tag):
    fam_dir = os.path.join(work, f"fam-{tag}")
    os.makedirs(fam_dir, exist_ok=True)
    files, meta, seconds = [], {}, []
    for k, (pkg, rows) in enumerate(families):
        out = os.path.join(fam_dir, f"f{k:02}.yar")
        name = re.sub(r"[^a-z0-9]", "", pkg.lower()) or "pkg"
        t0 = time.monotonic()
        p = run([spoor, "rules", rows[0]["abs"], rows[1]["abs"], "--family", name, "-o", out, "--date", DATE,
                 *extra])
        seconds.append(time.monotonic() - t0)
        text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
        meta[k] = {"package": pkg, "releases": [r["version"] for r in rows], "file": rows[2]["path"],
                   "rule_made": p.returncode == 0 and bool(RULE_RE.search(text))}
        if meta[k]["rule_made"]:
            with open(out, "w", encoding="utf-8") as f:
                f.write(prefixed(text, f"F{k:02}_"))
            files.append(out)
    report = scan(spoor, files, test_dir, work, f"fam-{tag}") if files else {"rules": []}
    for m in meta.values():
        m.update({"third_detected": False, "false_positives": 0, "same_package_matches": 0, "fp_files": []})
    for r in report["rules"]:
        mm = re.match(r"F(\d{2})_", r["name"])
        if not mm:
            continue
        k = int(mm.group(1))
        pkg, rows = families[k]
        own = {os.path.normpath(x["abs"]) for x in rows}
        third = os.path.normpath(rows[2]["abs"])
        m = meta[k]
        for hit in r["benign_hits"]:
            hp = os.path.normpath(hit)
            row = by_path.get(hp)
            if hp == third:
                m["third_detected"] = True
            elif hp in own:
                pass
            elif row is not None and row["package"] == pkg:
                m["same_package_matches"] += 1
            else:
                m["false_positives"] += 1
                m["fp_files"].append(hit)
    fams = list(meta.values())
    return {
        "families": len(fams),
        "third_detected": sum(1 for m in fams if m["third_detected"]),
        "detected_and_clean": sum(1 for m in fams if m["third_detected"] and m["false_positives"] == 0),
        "rules_with_fp": sum(1 for m in fams if m["false_positives"] > 0),
        "false_positives": sum(m["false_positives"] for m in fams),
        "seconds_per_rule_median": sorted(seconds)[len(seconds) // 2] if seconds else 0.0,
        "per_family": fams,
    }


def version_of(spoor):
    p = run([spoor, "--version"])
    return p.stdout.decode(errors="replace").strip() or spoor


def main():
    set_dir = os.path.abspath(env("SPOOR_RG", os.path.join(ROOT, "target/real-goodware")))
    if not os.path.isfile(os.path.join(set_dir, "MANIFEST.tsv")):
        print(f"rules_realworld: no real goodware set at {set_dir}; fetch it with "
              "`sh corpus/real-goodware.sh target/real-goodware` (or set SPOOR_RG). Skipped.")
        return 0
    spoors = [("current", os.path.abspath(env("SPOOR", os.path.join(ROOT, "target/release/spoor"))),
               env("SPOOR_RULES_ARGS", "").split())]
    if os.environ.get("SPOOR_PREVIOUS"):
        spoors.append(("previous", os.path.abspath(os.environ["SPOOR_PREVIOUS"]),
                       env("SPOOR_PREVIOUS_RULES_ARGS", "").split()))
    rows = load_manifest(set_dir)
    test = [r for r in rows if r["split"] == "test"]
    by_path = {os.path.normpath(r["abs"]): r for r in test}
    test_dir = os.path.join(set_dir, "test")
    samples = pick_samples(test, int(env("SPOOR_RW_SAMPLES", "120")))
    families = pick_families(test, int(env("SPOOR_RW_FAMILIES", "12")))
    only = {p for p in env("SPOOR_RW_PACKAGES", "").split(",") if p}
    if only:
        samples = [s for s in samples if s["package"] in only]
        families = [f for f in families if f[0] in only]
    out_dir = env("SPOOR_RW_OUT", os.path.join(ROOT, "target/bench"))
    os.makedirs(out_dir, exist_ok=True)
    results = {"set": {"files": len(rows), "test_files": len(test),
                       "test_packages": len({r["package"] for r in test}),
                       "samples": [s["path"] for s in samples],
                       "families": [[p, [r["path"] for r in rs]] for p, rs in families]},
               "runs": []}
    with tempfile.TemporaryDirectory(prefix="spoor-rw-") as work:
        for tag, spoor, extra in spoors:
            print(f"rules_realworld: {tag}: {spoor} {' '.join(extra)}", file=sys.stderr)
            lpo = leave_package_out(spoor, extra, samples, test_dir, by_path, work, tag)
            fam = versions_as_families(spoor, extra, families, test_dir, by_path, work, tag)
            results["runs"].append({"binary": tag, "path": os.path.relpath(spoor, ROOT),
                                    "rules_args": extra, "version": version_of(spoor),
                                    "leave_package_out": lpo, "versions_as_families": fam})
    md = ["# rules on real-world binaries (leave-package-out, versions as families)", "",
          f"Test split: {len(test)} files of {results['set']['test_packages']} packages "
          f"(set of {len(rows)} files). Targets: 0 rules with a false positive; cross-matches "
          "under 1% of sample pairs; at least 9 of 10 third releases detected.", "",
          "| binary | samples | rules | rules with FP | FPs | rules matching own package | "
          "cross-match pairs | s/rule (median) | families | third release detected | "
          "family rules with FP | family FPs |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run_ in results["runs"]:
        lpo, fam = run_["leave_package_out"], run_["versions_as_families"]
        md.append(f"| {run_['binary']} {' '.join(run_['rules_args'])} | {lpo['samples']} | {lpo['rules']} | {lpo['rules_with_fp']} | "
                  f"{lpo['false_positives']} | {lpo['rules_matching_own_package']} | "
                  f"{lpo['cross_match_pairs']} of {lpo['sample_pairs']} ({100 * lpo['cross_match_rate']:.2f}%) | "
                  f"{lpo['seconds_per_rule_median']:.2f} | {fam['families']} | {fam['third_detected']} | "
                  f"{fam['rules_with_fp']} | {fam['false_positives']} |")
    md.append("")
    for run_ in results["runs"]:
        md.append(f"## {run_['binary']}: families")
        md.append("")
        md.append("| package | releases | file | third detected | FPs | same-package matches |")
        md.append("|---|---|---|---|---:|---:|")
        for m in run_["versions_as_families"]["per_family"]:
            md.append(f"| {m['package']} | {' '.join(m['releases'])} | {m['file'].split('/', 3)[-1]} | "
                      f"{'yes' if m['third_detected'] else 'no'} | {m['false_positives']} | "
                      f"{m['same_package_matches']} |")
        md.append("")
    text = "\n".join(md) + "\n"
    with open(os.path.join(out_dir, "rules_realworld.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out_dir, "rules_realworld.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
