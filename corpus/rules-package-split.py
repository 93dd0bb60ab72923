#!/usr/bin/env python3
"""corpus/rules-package-split.py WORKDIR SPOOR [SPOOR ...] - per-sample rules on real goodware.

Fetches real Windows binaries built by MSVC, Rust, Go and Delphi from the package registries
(PyPI win32/win_amd64 wheels with `pip download`, npm packages that ship Windows executables
with `npm pack`) into WORKDIR (nothing is committed), splits them by package into an index
half and a test half (by a hash of the package name, so the split is deterministic), then, for
each spoor binary given:

  1. builds a goodware index from the index half only (`spoor goodware build`), so no test
     binary's package is in it;
  2. makes one rule per test binary (the two largest of each test package up to
     SPOOR_SPLIT_SAMPLE_MIB, default 24 MiB)
     with that index (`spoor rules --goodware`);
  3. scans every file of the test half with every rule (`spoor test -f json`);

and reports, per binary: rules with a false positive (a match on a file of another package),
false positives in all, cross-matches (a rule matching another test binary), and samples that
got no rule. Give the previous and the current spoor to compare them in one run.
"""
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile

WHEELS = {
    "win_amd64": [
        "numpy", "psutil", "pywin32", "lxml", "pillow", "cryptography", "ruff", "uv",
        "pydantic-core", "orjson", "regex", "markupsafe", "pyyaml", "msgpack", "zstandard",
        "brotli", "pyinstaller", "pythonnet", "scipy", "pyzmq", "greenlet", "kiwisolver",
        "contourpy", "matplotlib", "pandas", "lz4", "xxhash", "cffi", "delphivcl",
        "delphifmx", "py2exe",
    ],
    "win32": ["numpy", "psutil", "pywin32", "pillow", "markupsafe"],
}
NPM = [
    "@esbuild/win32-x64", "@esbuild/win32-ia32", "@esbuild/win32-arm64",
    "@bufbuild/buf-win32-x64", "@dbmate/win32-x64", "@fastly/cli-win32-x64",
    "@dprint/win32-x64", "lefthook-windows-x64", "@expo/ngrok-bin-win32-x64",
    "@ast-grep/cli-win32-x64-msvc", "@rollup/rollup-win32-x64-msvc",
    "@tailwindcss/oxide-win32-x64-msvc", "@sentry/cli-win32-x64",
]
MAX_SIZE = 64 << 20
SAMPLE_MAX_SIZE = int(os.environ.get("SPOOR_SPLIT_SAMPLE_MIB", "24")) << 20
PER_PACKAGE = 2
DATE = "2026-12-04"


def run(cmd, **kw):
    return subprocess.run(cmd, check=False, text=True, capture_output=True, **kw)


def fetch(work):
    wheels = os.path.join(work, "wheels")
    npm = os.path.join(work, "npm")
    files = os.path.join(work, "files")
    os.makedirs(wheels, exist_ok=True)
    os.makedirs(npm, exist_ok=True)
    os.makedirs(files, exist_ok=True)
    for platform, names in WHEELS.items():
        r = run(["pip", "download", "--only-binary=:all:", "--platform", platform,
                 "--python-version", "3.12", "--no-deps", "-d", wheels, *names])
        if r.returncode != 0:
            print(f"note: pip download ({platform}) failed: {r.stderr[-300:]}", file=sys.stderr)
    for name in NPM:
        stem = name.lstrip("@").replace("/", "-") + "-"
        if any(f.startswith(stem) and f.endswith(".tgz") for f in os.listdir(npm)):
            continue
        r = run(["npm", "pack", name], cwd=npm)
        if r.returncode != 0:
            print(f"note: npm pack {name} failed", file=sys.stderr)
    for f in sorted(os.listdir(wheels)):
        dest = os.path.join(files, f[: -len(".whl")])
        if f.endswith(".whl") and not os.path.isdir(dest):
            with zipfile.ZipFile(os.path.join(wheels, f)) as z:
                for m in z.namelist():
                    if m.lower().endswith((".pyd", ".dll", ".exe")):
                        z.extract(m, dest)
    for f in sorted(os.listdir(npm)):
        dest = os.path.join(files, f[: -len(".tgz")])
        if f.endswith(".tgz") and not os.path.isdir(dest):
            with tarfile.open(os.path.join(npm, f)) as t:
                t.extractall(dest, filter="data")
    return files


def package_of(top):
    """`numpy-2.5.5-cp312-cp312-win32` → numpy; `esbuild-win32-x64-0.28.2` → esbuild."""
    name = re.sub(r"-\d.*$", "", top)
    name = re.sub(r"-(win32|windows)(-.*)?$", "", name)
    for prefix in ("esbuild", "bufbuild-buf", "dbmate", "fastly-cli", "dprint", "expo-ngrok-bin",
                   "ast-grep-cli", "rollup-rollup", "tailwindcss-oxide", "sentry-cli"):
        if name.startswith(prefix):
            return prefix
    return name.lower().replace("_", "-")


def is_pe(path):
    with open(path, "rb") as f:
        return f.read(2) == b"MZ"


def collect(files):
    by_package = {}
    for top in sorted(os.listdir(files)):
        for root, _, names in os.walk(os.path.join(files, top)):
            for n in sorted(names):
                p = os.path.join(root, n)
                if n.lower().endswith((".pyd", ".dll", ".exe", ".node")) and not os.path.islink(p) \
                        and 1024 <= os.path.getsize(p) <= MAX_SIZE and is_pe(p):
                    by_package.setdefault(package_of(top), []).append(p)
    return by_package


def half(package):
    return "test" if hashlib.sha256(package.encode()).digest()[0] % 2 else "index"


def build_index(spoor, work, by_package):
    """One index of the index half, shared by every spoor measured (the index format is the
    same); rebuilt when the file set changes."""
    index_files = sorted(p for k, v in by_package.items() if half(k) == "index" for p in v)
    idx = os.path.join(work, "out", "index.idx")
    stamp = hashlib.sha256("\n".join(index_files).encode()).hexdigest()
    if os.path.exists(idx) and os.path.exists(idx + ".files"):
        with open(idx + ".files") as f:
            if f.read() == stamp:
                return idx
    os.makedirs(os.path.dirname(idx), exist_ok=True)
    r = run([spoor, "goodware", "build", *index_files, "-o", idx, "--date", DATE])
    if r.returncode != 0:
        sys.exit(f"goodware build failed: {r.stderr}")
    with open(idx + ".files", "w") as f:
        f.write(stamp)
    return idx


def measure(spoor, work, by_package, tag, idx):
    out = os.path.join(work, "out", tag)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    test = {k: v for k, v in by_package.items() if half(k) == "test"}
    samples = []
    for k in sorted(test):
        ranked = sorted((p for p in test[k] if os.path.getsize(p) <= SAMPLE_MAX_SIZE),
                        key=lambda p: (-os.path.getsize(p), p))
        samples.extend(ranked[:PER_PACKAGE])
    rules = os.path.join(out, "rules.yar")
    r = run([spoor, "rules", *samples, "--goodware", idx, "-o", rules, "--date", DATE])
    warnings = [line for line in r.stderr.splitlines() if line.strip()]
    if not os.path.exists(rules):
        sys.exit(f"{tag}: no rules written: {r.stderr}")
    names = {p: (k, p) for k, paths in sorted(test.items()) for p in paths}
    r = run([spoor, "test", rules, "--benign", *sorted(names), "-f", "json", "--max-fp", "100000"])
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        sys.exit(f"{tag}: spoor test gave no JSON: {r.stderr[-500:]}")
    with open(rules) as f:
        text = f.read()
    owner = {}
    for block in re.split(r"\n(?=rule )", text):
        m = re.match(r"rule (\w+)", block)
        h = re.search(r'hash1 = "([0-9a-f]{64})"', block)
        if m and h:
            owner[m.group(1)] = h.group(1)
    return samples, names, report, warnings, owner


def summarise(tag, samples, names, report, warnings, owner):
    sha = {}
    for p in samples:
        with open(p, "rb") as f:
            sha[hashlib.sha256(f.read()).hexdigest()] = p
    with_fp, fps, cross, made = 0, 0, 0, 0
    lines = []
    for rule in report.get("rules", []):
        made += 1
        sample = sha.get(owner.get(rule["name"], ""))
        own = names.get(sample, (None, None))[0]
        hits = [names.get(b, (None, b)) for b in rule.get("benign_hits", [])]
        foreign = [(k, p) for k, p in hits if k != own]
        cross_hits = [(k, p) for k, p in foreign if p in samples]
        if foreign:
            with_fp += 1
            lines.append(f"  {rule['name']} ({own}): {len(foreign)} false positive(s), "
                         f"{len(cross_hits)} cross-match(es); e.g. {foreign[0][1]}")
        fps += len(foreign)
        cross += len(cross_hits)
    no_rule = [w for w in warnings if "no rule" in w or "no usable" in w]
    print(f"{tag}: {len(samples)} test binaries, {made} rules, {with_fp} rules with a false "
          f"positive, {fps} false positives on {len(names)} test-half files, {cross} "
          f"cross-matches between test binaries (of {len(samples) * (len(samples) - 1)} "
          f"ordered pairs), {len(no_rule)} samples without a rule")
    for line in lines:
        print(line)
    for w in no_rule:
        print(f"  no rule: {w}")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    work = os.path.abspath(sys.argv[1])
    files = fetch(work)
    by_package = collect(files)
    for k in sorted(by_package):
        print(f"# {half(k):5} {k}: {len(by_package[k])} file(s)")
    spoors = [os.path.abspath(s) for s in sys.argv[2:]]
    idx = build_index(spoors[0], work, by_package)
    # The spoors run side by side; their reports are printed in the order given.
    with concurrent.futures.ThreadPoolExecutor(len(spoors)) as pool:
        runs = [pool.submit(measure, s, work, by_package, f"run{i + 1}", idx)
                for i, s in enumerate(spoors)]
        for i, (s, r) in enumerate(zip(spoors, runs)):
            summarise(f"spoor#{i + 1} ({os.path.basename(s)})", *r.result())


if __name__ == "__main__":
    main()
