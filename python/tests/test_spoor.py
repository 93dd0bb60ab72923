"""The Python API against the command line on the corpus: the same records, errors as
exceptions with codes, partial losses as warnings."""

from __future__ import annotations

import json
import threading
import warnings

import pytest

import spoor

DATE = "2026-11-25"


def test_the_readme_example():
    iocs = spoor.extract("hxxp://evil[.]com")
    assert [(i["type"], i["value"]) for i in iocs] == [("domain", "evil.com"), ("url", "http://evil.com")]
    assert iocs[1]["flags"]["defanged"] is True
    assert iocs[1]["sightings"][0]["context"] == "hxxp://evil[.]com"


def test_extract_options():
    text = "beacon hxxps://cdn.example[.]net/a.php from 203.0.113.9 and 10.0.0.1, again 203.0.113.9"
    ips = spoor.extract(text, types=["ipv4"])
    assert {i["value"]: i["count"] for i in ips} == {"203.0.113.9": 2, "10.0.0.1": 1}
    assert spoor.extract(text, types=["ipv4"], public_only=True) == []
    defanged = spoor.extract(text, types=["url"], defang=True)
    assert defanged[0]["value"] == "hxxps[://]cdn[.]example[.]net/a.php"
    assert spoor.extract(b"\xff\xfe" + "see http://example.org/x".encode("utf-16-le"), types=["url"])
    assert spoor.extract("", types=["url"]) == []
    assert set(spoor.ioc_types()) >= {"url", "domain", "ipv4", "sha256", "cve"}


def test_a_bad_type_raises_with_a_code():
    with pytest.raises(spoor.InputError) as err:
        spoor.extract("x", types=["nonsense"])
    assert err.value.code == "argument"
    assert isinstance(err.value, spoor.SpoorError)
    with pytest.raises(TypeError):
        spoor.extract(42)  # type: ignore[arg-type]


def test_extract_files_equals_the_cli(cli_json, root, monkeypatch):
    paths = ["corpus/logs", "corpus/malicious/ashdrop"]
    want = cli_json("extract", *paths, "-f", "json")
    monkeypatch.chdir(root)
    got = spoor.extract_files(paths)
    assert got["iocs"] == want["iocs"]
    assert got["sources"] == want["sources"]
    assert len(got["iocs"]) > 50


def test_ports_and_the_sources_table(tmp_path):
    log = tmp_path / "fw.log"
    log.write_text("DROP DST=192.0.2.10:8080\nDROP DST=192.0.2.10:443\nDROP DST=192.0.2.10\n")
    doc = spoor.extract_files([str(log)], types=["ipv4"])
    assert doc["schema"] == "spoor.iocs/2"
    assert [s["name"] for s in doc["sources"]] == [str(log)]
    [ioc] = doc["iocs"]
    assert (ioc["value"], ioc["count"], ioc["ports"]) == ("192.0.2.10", 3, [443, 8080])
    # sightings in input order, each with its port, naming the source by its index
    assert [s.get("port") for s in ioc["sightings"]] == [8080, 443, None]
    assert [s["source"] for s in ioc["sightings"]] == [0, 0, 0]
    # a line stands alone: it names its source
    [line] = spoor.extract(log.read_text(), types=["ipv4"], name="fw.log")
    assert line["ports"] == [443, 8080] and line["sightings"][0]["source"] == "fw.log"


def test_extract_of_bytes_equals_the_cli_on_stdin(root, cli):
    data = (root / "corpus/logs/reports/example-cert-2024-031.txt").read_bytes()
    import subprocess

    from conftest import _binary

    out = subprocess.run([str(_binary()), "extract", "-f", "ndjson"], input=data, capture_output=True, check=True)
    want = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert spoor.extract(data) == want
    assert len(want) > 20


def test_extract_table(root):
    pa = pytest.importorskip("pyarrow")
    data = (root / "corpus/logs/reports/example-cert-2024-031.txt").read_text()
    table = spoor.extract_table(data, types=["domain", "url"])
    assert isinstance(table, pa.Table)
    rows = table.to_pylist()
    dicts = spoor.extract(data, types=["domain", "url"])
    assert [(r["type"], r["value"], r["count"]) for r in rows] == [(d["type"], d["value"], d["count"]) for d in dicts]
    assert all(r["first_line"] for r in rows)


def test_triage_equals_the_cli(cli_json, root):
    path = "corpus/malicious/ashdrop/ashdrop_v1_x64.exe"
    want = cli_json("triage", path, "-f", "json")[0]
    got = spoor.triage(root / path)
    want["name"] = got["name"]
    assert got == want
    from_bytes = spoor.triage((root / path).read_bytes(), name="x.exe")
    assert from_bytes["hashes"] == want["hashes"] and from_bytes["name"] == "x.exe"
    assert spoor.sniff((root / path).read_bytes()) == "pe"


def test_triage_of_a_missing_file_raises(tmp_path):
    with pytest.raises(spoor.InputError) as err:
        spoor.triage(tmp_path / "none.exe")
    assert err.value.code == "input"


def test_events_equal_the_cli(cli, root, monkeypatch):
    monkeypatch.chdir(root)
    for path in ["corpus/logs/cape/ashdrop_v1-report.json", "corpus/logs/sysmon/session-2024-03-12.xml"]:
        out, _, _ = cli("events", path, "-f", "ndjson")
        want = [json.loads(line) for line in out.splitlines()]
        assert spoor.events(path) == want
        assert len(want) > 5
    full = spoor.events("corpus/logs/procmon", full=True)
    assert full["sources"][0]["format"] and full["sources"][0]["events"] == len(full["events"])


def test_events_of_nothing_raise_and_damage_warns(tmp_path):
    with pytest.raises(spoor.InputError) as err:
        spoor.events(tmp_path / "missing.json")
    assert err.value.code == "input"
    damaged = tmp_path / "sysmon.ndjson"
    damaged.write_text('{"EventID": 1, "Image": "C:\\\\x.exe"}\n{not json\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spoor.events(damaged)
    codes = {w.message.code for w in caught if isinstance(w.message, spoor.SpoorWarning)}
    assert codes <= {"parse-error", "input-unreadable"}


def test_goodware_index_build_append_merge(tmp_path, cli, root):
    whole_cli = tmp_path / "cli.idx"
    cli("goodware", "build", "corpus/benign/built", "corpus/benign/debian", "-o", str(whole_cli), "--date", DATE)
    built = spoor.GoodwareIndex.build(root / "corpus/benign/built", tmp_path / "a.idx", date=DATE)
    debian = spoor.GoodwareIndex.build(root / "corpus/benign/debian", tmp_path / "b.idx", date=DATE)
    merged = spoor.GoodwareIndex.merge([built, debian], tmp_path / "m.idx")
    appended = built.append(root / "corpus/benign/debian", tmp_path / "ab.idx", date=DATE)
    whole = spoor.GoodwareIndex.open(whole_cli)

    def body(path):
        data = open(path, "rb").read()
        return data[16 + int.from_bytes(data[12:16], "little"):]

    assert body(merged.path) == body(whole_cli)
    assert body(appended.path) == body(whole_cli)
    for key in ("files", "strings", "imphashes", "exports", "bytes"):
        assert merged.meta[key] == whole.meta[key]
    assert merged.string_count("KERNEL32.dll") == whole.string_count("KERNEL32.dll") > 0
    assert merged.containing_counts(["ernel32", "no such string anywhere"])[1] == 0
    sha = spoor.triage(root / "corpus/benign/debian" / sorted(p.name for p in (root / "corpus/benign/debian").iterdir() if p.is_file())[0])["hashes"]["sha256"]
    assert merged.has_file(sha)
    with pytest.warns(spoor.SpoorWarning) as caught:
        spoor.GoodwareIndex.merge([built, built], tmp_path / "twice.idx")
    assert caught[0].message.code == "index-mismatch"
    shipped = spoor.GoodwareIndex.open()
    assert shipped.path == "-" and shipped.meta["files"] > 1000


def test_goodware_errors_carry_codes(tmp_path, root):
    with pytest.raises(spoor.GoodwareIndexError) as err:
        spoor.GoodwareIndex.open(root / "README.md")
    assert err.value.code == "index-bad-magic"
    with pytest.raises(spoor.GoodwareIndexError) as err:
        spoor.GoodwareIndex.open(tmp_path / "none.idx")
    assert err.value.code == "index-io"
    with pytest.raises(spoor.GoodwareIndexError) as err:
        spoor.GoodwareIndex.build(tmp_path / "nothing-here", tmp_path / "x.idx")
    assert err.value.code == "index-empty"
    assert not (tmp_path / "x.idx").exists()
    with pytest.raises(spoor.InputError):
        spoor.GoodwareIndex.build(root / "corpus/benign/built", tmp_path / "x.idx", date="2026-13-45")


def test_rules_and_test_equal_the_cli(tmp_path, cli, cli_json, root):
    yar = tmp_path / "a.yar"
    cli("rules", "corpus/malicious/ashdrop", "--family", "ashdrop", "--date", DATE, "-o", str(yar))
    generated = spoor.rules(root / "corpus/malicious/ashdrop", family="ashdrop", date=DATE)
    assert len(generated["rules"]) == 1
    assert generated["rules"][0]["source"].strip() in yar.read_text()
    assert len(generated["rules"][0]["samples"]) == 3
    want = cli_json("test", str(yar), "--malicious", "corpus/malicious", "--benign", "corpus/benign", "-f", "json", "--no-timing")
    got = spoor.test(generated, malicious=root / "corpus/malicious", benign=root / "corpus/benign")
    assert got["confusion"] == want["confusion"]
    assert got["sets"] == want["sets"]
    assert got["confusion"]["true_positives"] == 3 and got["confusion"]["false_positives"] == 0
    by_path = spoor.test(str(yar), malicious=[root / "corpus/malicious/ashdrop"])
    assert by_path["confusion"]["true_positives"] == 3


def test_rules_that_do_not_compile_raise():
    with pytest.raises(spoor.RulesError) as err:
        spoor.test("rule broken { condition: nonsense }", malicious=["."])
    assert err.value.code == "rules-compile"


def test_analyze(root):
    doc = spoor.analyze(
        [root / "corpus/malicious/ashdrop/ashdrop_v1_x64.exe"],
        [root / "corpus/logs/cape/ashdrop_v1-report.json"],
    )
    assert doc["samples"][0]["format"] == "pe"
    assert doc["iocs_total"] == len(doc["iocs"]) > 0
    assert doc["complete"] is True
    assert doc["log_summaries"][0]["events"] > 0
    assert doc["stats"]["triaged"] == 1
    # no benign set: no rules unless asked for
    assert doc["rules"] == [] and doc["rules_test"] is None


def test_analyze_makes_and_tests_rules_as_the_cli_does(root, cli, tmp_path):
    """With a benign set, spoor.analyze runs the same library call as ``spoor analyze``:
    the rules and their measured result are the CLI's, byte for byte."""
    samples = str(root / "corpus/malicious/ashdrop")
    benign = str(root / "corpus/benign/built")
    doc = spoor.analyze([samples], benign=[benign], date="2026-11-25")
    assert doc["rules"]
    assert doc["rules_test"]["confusion"]["false_positives"] == 0
    assert doc["rules_test"]["confusion"]["true_positives"] == doc["stats"]["triaged"] > 0
    out = tmp_path / "out"
    cli("analyze", samples, "--benign", benign, "--date", "2026-11-25", "-o", str(out))
    assert (out / "rules.yar").read_text() == doc["rules_text"]
    assert json.loads((out / "rules-test.json").read_text()) == doc["rules_test"]


def test_threads_share_the_extension(root):
    """The GIL is released while spoor works: threads run side by side and agree."""
    data = (root / "corpus/logs/reports/example-cert-2024-031.txt").read_bytes() * 200
    want = spoor.extract(data, context=False)
    results = [None] * 4

    def work(i):
        results[i] = spoor.extract(data, context=False)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == want for r in results)
