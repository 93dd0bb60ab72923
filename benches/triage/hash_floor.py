"""Reference implementations of the hashes triage computes, timed on one file.

Called by `cargo bench --bench triage` as `python hash_floor.py FILE RUNS`; prints one JSON
object: for each hash, the best CPU time in milliseconds over RUNS runs and the
implementation that gave it. MD5, SHA-1, SHA-256 and SHA-512 come from `hashlib`
(OpenSSL's assembly), TLSH from `py-tlsh` (the reference C++ library) when installed, and
ssdeep from the reference `ssdeep` tool when it is on the PATH (its child CPU time, so
process start is included: about a millisecond).
"""

import hashlib
import json
import resource
import shutil
import subprocess
import sys
import time


def best_cpu(runs, f):
    """Best process CPU time of `runs` calls of `f`, in ms."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        f()
        best = min(best, time.process_time() - start)
    return best * 1000.0


def best_child_cpu(runs, argv):
    """Best CPU time (user + system) of `runs` runs of the command `argv`, in ms."""
    best = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = min(best, used)
    return best * 1000.0


def main():
    path, runs = sys.argv[1], int(sys.argv[2])
    with open(path, "rb") as f:
        data = f.read()
    out = {}
    openssl = "hashlib (" + __import__("ssl").OPENSSL_VERSION + ")"
    for name in ("md5", "sha1", "sha256", "sha512"):
        ms = best_cpu(runs, lambda name=name: hashlib.new(name, data).digest())
        out[name] = {"ms": ms, "implementation": openssl}
    try:
        import tlsh
        import importlib.metadata

        version = importlib.metadata.version("py-tlsh")
        out["tlsh"] = {
            "ms": best_cpu(runs, lambda: tlsh.hash(data)),
            "implementation": f"py-tlsh {version} (C++)",
        }
    except ImportError:
        pass
    ssdeep = shutil.which("ssdeep")
    if ssdeep:
        version = subprocess.run(
            [ssdeep, "-V"], capture_output=True, text=True, check=False
        ).stdout.strip()
        out["ssdeep"] = {
            "ms": best_child_cpu(runs, [ssdeep, "-s", path]),
            "implementation": f"ssdeep {version} (C, whole process)",
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
