#!/usr/bin/env python3
"""Syntax checker and statistics for spoor's golden extraction cases (tests/cases/*.case).

Standard library only. Usage:

    python3 tests/cases/check_format.py [DIR_OR_FILE ...]

Checks every case for structural errors (markers, names, types, value normal form,
flags that refer to listed IOCs, escape syntax) and prints counts per file and per type.
Exit status 1 when any error is found. See tests/cases/README.md for the format.
"""
import os
import re
import sys
from collections import Counter, defaultdict

TYPES = (
    "md5 sha1 sha256 sha512 ipv4 ipv6 domain url email registry_key file_path "
    "cve attack_technique bitcoin monero"
).split()
SCOPES = "private loopback documentation reserved link_local multicast public".split()
HASH_LEN = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
# the schemes spoor reads (`data/url-schemes.txt`, one per line, `#` comments)
URL_SCHEMES = [
    line.strip()
    for line in open(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../data/url-schemes.txt"),
        encoding="utf-8",
    )
    if line.strip() and not line.startswith("#")
]

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
NOTES = (
    "allowlisted_host certificate_infrastructure cut_at_asn1 encoded_base64 encoded_hex "
    "encoded_percent host_context placeholder spaced"
).split()
FLAG_RE = re.compile(
    r"^(!?defanged|scope=(%s)|!?note=(%s)|ports=\d{1,5}(,\d{1,5})*|!ports)$"
    % ("|".join(SCOPES), "|".join(NOTES))
)
ESCAPE_RE = re.compile(r"\\x([0-9A-Fa-f]{2})")

VALUE_RULES = {
    "ipv4": re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(/\d{1,2})?$"),
    "ipv6": re.compile(r"^[0-9a-f:.]+(/\d{1,3})?$"),
    "domain": re.compile(r"^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$"),
    "email": re.compile(r"^[^\s@A-Z]+@[a-z0-9-]+(\.[a-z0-9-]+)+$"),
    "cve": re.compile(r"^CVE-\d{4}-\d{4,}$"),
    "attack_technique": re.compile(r"^T1\d{3}(\.\d{3})?$"),
    "bitcoin": re.compile(r"^([13][1-9A-HJ-NP-Za-km-z]{25,34}|bc1[02-9ac-hj-np-z]{11,87})$"),
    "monero": re.compile(r"^[48][1-9A-HJ-NP-Za-km-z]{94}([1-9A-HJ-NP-Za-km-z]{11})?$"),
    # a hive and its path, or a path as written without one (`Software\Microsoft\…`)
    "registry_key": re.compile(r"^((HKLM|HKCU|HKCR|HKU|HKCC)(\\.+)?|[A-Za-z][^\\]*\\.+)$"),
    # a drive, UNC, %VAR%\, Unix, home-relative, rooted `\dir\…` or macOS `Library/…` path
    "file_path": re.compile(
        r"^([A-Za-z]:[\\/]|\\\\[^\\\s]+\\|%[A-Za-z_][A-Za-z0-9_()]*%\\|/|~/|\\(?!\\)|Library/)\S"
    ),
}


class Case:
    def __init__(self, path, line, name):
        self.path, self.line, self.name = path, line, name
        self.escapes = False
        self.comments = []
        self.input_lines = []
        self.expect = []  # (type, value, lineno)
        self.flags = []  # (type, value, [flags], lineno)


def value_problem(typ, val):
    """Return a message when a value is not in spoor's normal form, else None."""
    if val != val.strip() or not val:
        return "value has surrounding whitespace or is empty"
    if typ in HASH_LEN:
        if not re.fullmatch(r"[0-9a-f]{%d}" % HASH_LEN[typ], val):
            return "%s must be %d lowercase hex characters" % (typ, HASH_LEN[typ])
        return None
    if typ == "url":
        m = re.match(r"^([a-z+]+)://(\[[^\]]+\]|[^/?#:]+)", val)
        if not m or m.group(1) not in URL_SCHEMES:
            return "url must start with a supported lowercase scheme"
        if m.group(2) != m.group(2).lower():
            return "url host must be lowercase"
        return None
    rule = VALUE_RULES.get(typ)
    if rule and not rule.match(val):
        return "%s value is not in normal form" % typ
    if typ == "ipv4":
        octets = VALUE_RULES["ipv4"].match(val).groups()[:4]
        for o in octets:
            if int(o) > 255 or (len(o) > 1 and o[0] == "0"):
                return "ipv4 octet out of range or zero-padded"
    if typ == "domain" and val.endswith("."):
        return "domain must not end with a dot"
    if typ in ("domain", "email") and val != val.lower():
        return "%s must be lowercase" % typ
    return None


def parse_file(path, errors):
    cases = []
    cur = None
    state = "outside"
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    if "\r" in text:
        errors.append("%s: file contains CR characters (use LF line endings)" % path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    def err(n, msg):
        errors.append("%s:%d: %s" % (path, n, msg))

    for n, line in enumerate(lines, 1):
        if state == "outside":
            if line.startswith("### case:"):
                name = line[len("### case:"):].strip()
                if not NAME_RE.match(name):
                    err(n, "bad case name %r" % name)
                cur = Case(path, n, name)
                state = "header"
            elif line.strip() == "" or line.startswith("#"):
                continue
            else:
                err(n, "text outside a case: %r" % line[:60])
        elif state == "header":
            if line == "# escapes" and not cur.comments and not cur.escapes:
                cur.escapes = True
            elif line.startswith("#") and not line.startswith("###"):
                cur.comments.append(line)
            elif line == "--- input":
                state = "input"
            else:
                err(n, "expected comment or '--- input' in case header, got %r" % line[:60])
                state = "skip"
        elif state == "input":
            if line == "--- expect":
                state = "expect"
            elif line.startswith("### ") or line == "###" or line.startswith("--- "):
                err(n, "marker-like line inside input (or missing '--- expect'): %r" % line[:60])
                if line == "###" or line.startswith("### case:"):
                    state = "outside"
                    cur = None
            else:
                cur.input_lines.append(line)
        elif state in ("expect", "flags"):
            if line == "###":
                cases.append(cur)
                cur, state = None, "outside"
            elif line == "--- flags" and state == "expect":
                state = "flags"
            elif line.startswith("### case:"):
                err(n, "case %r not closed with '###'" % cur.name)
                cur, state = None, "outside"
            elif line.strip() == "":
                err(n, "blank line inside %s block" % state)
            elif state == "expect":
                parts = line.split(" ", 1)
                if len(parts) != 2 or parts[0] not in TYPES:
                    err(n, "bad expect line %r (want '<type> <value>')" % line[:80])
                    continue
                typ, val = parts
                prob = value_problem(typ, val)
                if prob:
                    err(n, prob + ": %r" % val[:80])
                if any(t == typ and v == val for t, v, _ in cur.expect):
                    err(n, "duplicate expect line %r" % line[:80])
                cur.expect.append((typ, val, n))
            else:
                toks = line.split(" ")
                flags = []
                while len(toks) > 2 and FLAG_RE.match(toks[-1]):
                    flags.insert(0, toks.pop())
                if len(toks) < 2 or toks[0] not in TYPES or not flags:
                    err(n, "bad flags line %r (want '<type> <value> <flag>...')" % line[:80])
                    continue
                typ, val = toks[0], " ".join(toks[1:])
                if not any(t == typ and v == val for t, v, _ in cur.expect):
                    err(n, "flags for an IOC not listed in expect: %r" % line[:80])
                scopes = [f for f in flags if f.startswith("scope=")]
                if len(scopes) > 1:
                    err(n, "more than one scope flag")
                if scopes and typ not in ("ipv4", "ipv6"):
                    err(n, "scope flags apply to ipv4/ipv6 only")
                if any("ports" in f for f in flags) and typ not in ("ipv4", "ipv6"):
                    err(n, "port flags apply to ipv4/ipv6 only")
                cur.flags.append((typ, val, flags, n))
        elif state == "skip":
            if line == "###":
                state = "outside"
                cur = None
    if state not in ("outside",):
        errors.append("%s: unterminated case at end of file" % path)
    for c in cases:
        raw = "\n".join(c.input_lines)
        if c.escapes:
            if "\\" in ESCAPE_RE.sub("", raw):
                errors.append("%s:%d: case %r: stray backslash in an escapes case "
                              "(write a backslash as \\x5c)" % (path, c.line, c.name))
        if not raw.strip():
            errors.append("%s:%d: case %r has an empty input" % (path, c.line, c.name))
    return cases


def decoded_input(case):
    """The input bytes the runner should feed to spoor for this case."""
    raw = "\n".join(case.input_lines)
    if not case.escapes:
        return raw.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(raw):
        if ESCAPE_RE.match(raw, i):
            out.append(int(raw[i + 2:i + 4], 16))
            i += 4
        else:
            out += raw[i].encode("utf-8")
            i += 1
    return bytes(out)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    targets = argv[1:] or [here]
    files = []
    for t in targets:
        if os.path.isdir(t):
            files += sorted(os.path.join(t, f) for f in os.listdir(t) if f.endswith(".case"))
        else:
            files.append(t)
    errors = []
    all_cases = []
    per_file = {}
    for f in files:
        cs = parse_file(f, errors)
        per_file[os.path.basename(f)] = cs
        all_cases += cs
    names = Counter(c.name for c in all_cases)
    for c in all_cases:
        if names[c.name] > 1:
            errors.append("%s:%d: duplicate case name %r" % (c.path, c.line, c.name))
            names[c.name] = 1  # report once
    inputs = defaultdict(list)
    for c in all_cases:
        inputs[decoded_input(c)].append(c.name)
    for inp, ns in inputs.items():
        if len(ns) > 1:
            errors.append("identical inputs in cases %s" % ", ".join(ns))

    values = Counter()
    cases_with = Counter()
    for c in all_cases:
        seen = set()
        for t, _, _ in c.expect:
            values[t] += 1
            seen.add(t)
        for t in seen:
            cases_with[t] += 1
    any_hash = sum(1 for c in all_cases if any(t in HASH_LEN for t, _, _ in c.expect))
    empty = sum(1 for c in all_cases if not c.expect)
    defanged = sum(1 for c in all_cases if any("defanged" in f for _, _, f, _ in c.flags))
    escapes = sum(1 for c in all_cases if c.escapes)

    print("cases per file:")
    for f, cs in per_file.items():
        print("  %-28s %4d" % (f, len(cs)))
    print("  %-28s %4d" % ("TOTAL", len(all_cases)))
    print("\nper type:            values  cases")
    for t in TYPES:
        print("  %-18s %6d %6d" % (t, values[t], cases_with[t]))
    print("  %-18s %6s %6d" % ("(any hash)", "", any_hash))
    print("\ncases expecting nothing: %d" % empty)
    print("cases asserting a defanged flag: %d" % defanged)
    print("cases with escapes (binary / UTF-16LE): %d" % escapes)
    if errors:
        print("\n%d error(s):" % len(errors))
        for e in errors:
            print("  " + e)
        return 1
    print("\nno format errors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
