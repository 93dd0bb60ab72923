#!/usr/bin/env python3
"""Validates spoor's STIX 2.1 and MISP exports with the official tools.

Usage: validate_exports.py DIR

Every DIR/*.stix.json is checked with the OASIS stix2-validator (version 2.1): errors fail,
warnings are counted by check code and reported. Every SCO id is also recomputed here,
independently of spoor, as the specification defines it (UUIDv5 in the STIX namespace over
the canonical JSON of the id-contributing properties). Every DIR/*.misp.json is loaded with
pymisp's MISPEvent().load(), which checks attribute types and categories.

Exit status: 0 when everything passes, 1 on any failure, 3 when the tools are not
installed (so callers can tell "skipped" from "failed").
"""

import collections
import json
import pathlib
import re
import sys
import uuid

try:
    from stix2validator import ValidationOptions, validate_string
    from pymisp import MISPEvent
except ImportError as e:  # the caller decides whether a skip is acceptable
    print(f"validators not installed: {e}", file=sys.stderr)
    sys.exit(3)

SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
CONTRIBUTING = {
    "domain-name": ["value"],
    "email-addr": ["value"],
    "ipv4-addr": ["value"],
    "ipv6-addr": ["value"],
    "url": ["value"],
    "mutex": ["name"],
    "directory": ["path"],
    "windows-registry-key": ["key", "values"],
    "file": ["hashes", "name", "extensions", "parent_directory_ref"],
}
HASH_PREFERENCE = ["MD5", "SHA-1", "SHA-256", "SHA-512"]


def canonical(value):
    """RFC 8785 for the values spoor writes (integral floats print as integers)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(canonical(k) + ":" + canonical(v) for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def expected_sco_id(obj):
    props = {}
    for name in CONTRIBUTING[obj["type"]]:
        if name not in obj:
            continue
        value = obj[name]
        if name == "hashes":
            algo = next((a for a in HASH_PREFERENCE if a in value), None) or next(iter(value))
            value = {algo: value[algo]}
        props[name] = value
    return f"{obj['type']}--{uuid.uuid5(SCO_NAMESPACE, canonical(props))}"


def check_stix(path, warnings):
    text = path.read_text(encoding="utf-8")
    result = validate_string(text, ValidationOptions(version="2.1"))
    results = result if isinstance(result, list) else [result]
    failures = []
    for obj_result in results:
        for err in getattr(obj_result, "errors", None) or []:
            failures.append(f"{getattr(obj_result, 'object_id', '?')}: {getattr(err, 'message', err)}")
        fatal = getattr(obj_result, "fatal", None)
        if fatal:
            failures.append(f"fatal: {getattr(fatal, 'message', fatal)}")
        for warn in getattr(obj_result, "warnings", None) or []:
            code = re.search(r"\{(\d+)\}", str(getattr(warn, "message", warn)))
            warnings[code.group(1) if code else "?"] += 1
        if not obj_result.is_valid and not failures:
            failures.append("the validator says invalid")
    bundle = json.loads(text)
    scos = 0
    for obj in bundle.get("objects", []):
        if obj.get("type") in CONTRIBUTING:
            scos += 1
            want = expected_sco_id(obj)
            if obj["id"] != want:
                failures.append(f"{obj['id']}: deterministic id should be {want}")
    return failures, len(bundle.get("objects", [])), scos


def check_misp(path):
    event = MISPEvent()
    event.load(path.read_text(encoding="utf-8"))
    if not event.info:
        return ["event has no info"], 0
    count = len(event.attributes) + sum(len(o.attributes) for o in event.objects)
    return [], count


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1])
    stix_files = sorted(root.glob("*.stix.json"))
    misp_files = sorted(root.glob("*.misp.json"))
    if not stix_files or not misp_files:
        print(f"no exports found in {root}", file=sys.stderr)
        return 1
    failed = False
    warnings = collections.Counter()
    objects = scos = attributes = 0
    for path in stix_files:
        failures, n, s = check_stix(path, warnings)
        objects += n
        scos += s
        for f in failures:
            print(f"FAIL {path.name}: {f}")
            failed = True
    for path in misp_files:
        try:
            failures, n = check_misp(path)
        except Exception as e:  # pymisp raises its own exception types
            failures, n = [f"{type(e).__name__}: {e}"], 0
        attributes += n
        for f in failures:
            print(f"FAIL {path.name}: {f}")
            failed = True
    print(
        f"stix2-validator 2.1: {len(stix_files)} bundles, {objects} objects, "
        f"{scos} SCO ids recomputed, "
        f"{'errors' if failed else 'no errors'}; warnings by check: "
        + (", ".join(f"{{{k}}} x{v}" for k, v in sorted(warnings.items())) or "none")
    )
    print(f"pymisp: {len(misp_files)} events loaded, {attributes} attributes")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
