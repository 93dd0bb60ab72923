"""Write the analysis logs under corpus/logs/ and their ground truth under corpus/expected/logs/.

Standard library only, deterministic (fixed clock, fixed ids, randomness from SHA-256 of labels).
Every value comes from tools/spec.py, so the logs agree with the samples' configurations.  Called by
`python3 corpus/tools/gen.py logs`.

The logs describe what the samples *would* do on a Windows 10 sandbox guest (DESKTOP-7Q2K9LM, user
alice, 192.0.2.10) with a simulated internet answering from documentation ranges.  None of it was
recorded from a run: the samples are inert.
"""

import hashlib
import json
import os
import struct
import sys
from xml.sax.saxutils import escape as xml_escape

import spec

HOST = "DESKTOP-7Q2K9LM"
USER = "alice"
DOMAIN = "DESKTOP-7Q2K9LM"
SID = "S-1-5-21-1004336348-1177238915-682003330-1001"
HKU = "HKU\\" + SID
GUEST_IP = "192.0.2.10"
DNS_IP = "192.0.2.1"
ENV = {
    "%LOCALAPPDATA%": r"C:\Users\alice\AppData\Local",
    "%APPDATA%": r"C:\Users\alice\AppData\Roaming",
    "%TEMP%": r"C:\Users\alice\AppData\Local\Temp",
    "%PROGRAMDATA%": r"C:\ProgramData",
}
DOWNLOADS = r"C:\Users\alice\Downloads"
# what the simulated internet answers
DNS_ANSWERS = {
    "cdn.ashdrop.example.com": "203.0.113.10",
    "telemetry.ashdrop.example.org": "203.0.113.11",
    "files.fetchbird.example.net": "198.51.100.23",
    "cdn.fetchbird.example.com": "203.0.113.77",
    "dl.fetchbird.example.org": "2001:db8:fe7c::17",
    "pool.coalpit.example.com": "198.51.100.45",
    "collect.magpie.example.net": "192.0.2.77",
    "pay.lockjaw.example.com": "203.0.113.201",
}

CORPUS = None


def cfg(family, variant):
    for v in spec.variants():
        if v["family"] == family and v["variant"] == variant:
            return v
    raise KeyError((family, variant))


def val(v, key):
    return next(f["value"] for f in v["fields"] if f["key"] == key)


def expand(p):
    for k, x in ENV.items():
        p = p.replace(k, x)
    return p


def sample_info(v):
    with open(os.path.join(CORPUS, "malicious", v["family"], v["file"]), "rb") as f:
        data = f.read()
    return {"name": v["file"], "path": v["path"], "size": len(data),
            "md5": hashlib.md5(data).hexdigest(), "sha1": hashlib.sha1(data).hexdigest(),
            "sha256": hashlib.sha256(data).hexdigest(), "data": data}


def rnd(label, n):
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}:{i}".encode()).digest()
        i += 1
    return out[:n]


def guid(label):
    b = rnd("guid:" + label, 16)
    h = b.hex()
    return "{" + f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}" + "}"


class Clock:
    def __init__(self, start):
        self.t = start  # milliseconds since midnight UTC of 2024-03-12

    def tick(self, ms=37):
        self.t += ms
        return self.t

    def iso(self, t=None, frac=7):
        t = self.t if t is None else t
        s, ms = divmod(t, 1000)
        hh, rem = divmod(s, 3600)
        mm, ss = divmod(rem, 60)
        f = f"{ms:03d}" + "0" * (frac - 3)
        return f"2024-03-12T{hh:02d}:{mm:02d}:{ss:02d}.{f}Z"

    def sysmon(self, t=None):
        t = self.t if t is None else t
        s, ms = divmod(t, 1000)
        hh, rem = divmod(s, 3600)
        mm, ss = divmod(rem, 60)
        return f"2024-03-12 {hh:02d}:{mm:02d}:{ss:02d}.{ms:03d}"

    def epoch(self, t=None):
        t = self.t if t is None else t
        return 1710201600 + t / 1000.0  # 2024-03-12T00:00:00Z


def json_raw(s):
    """How `s` appears inside a JSON string literal."""
    return json.dumps(s, ensure_ascii=False)[1:-1]


def ioc(t, value, raw=None, **extra):
    d = {"type": t, "value": value}
    if raw is not None and raw != value:
        d["raw"] = raw
    d.update(extra)
    return d


GROUPS = {"network": ("url", "domain", "ipv4", "ipv6", "email", "user_agent"),
          "registry": ("registry_key", "registry_value"),
          "files": ("file_path", "file_name"),
          "mutexes": ("mutex",), "pipes": ("pipe",), "commands": ("command", "task_name"),
          "wallets": ("wallet",), "hashes": ("sha256", "md5", "sha1"), "strings": ("string",)}


def grouped(iocs):
    seen, out = set(), {g: [] for g in GROUPS}
    for i in iocs:
        k = (i["type"], i["value"], i.get("raw"))
        if k in seen:
            continue
        seen.add(k)
        for g, ts in GROUPS.items():
            if i["type"] in ts:
                out[g].append(i)
    return out


def write(path, data, doc, expected="logs"):
    full = os.path.join(CORPUS, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(full, "wb") as f:
        f.write(data)
    doc = dict(doc)
    doc["schema"] = "spoor-corpus-log/1"
    doc["path"] = "corpus/" + path
    doc["hashes"] = {"sha256": hashlib.sha256(data).hexdigest(), "md5": hashlib.md5(data).hexdigest(),
                     "size": len(data)}
    doc["event_count"] = len(doc["events"])
    doc["iocs"] = grouped(doc["iocs"])
    order = ["schema", "path", "format", "tool", "description", "samples", "hashes", "event_count",
             "events", "iocs"]
    doc = {k: doc[k] for k in order if k in doc}
    name = os.path.basename(path) + ".json"
    os.makedirs(os.path.join(CORPUS, "expected", expected), exist_ok=True)
    with open(os.path.join(CORPUS, "expected", expected, name), "w") as f:
        f.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    # every ioc and event match must be in the file, as the test will check
    for g in doc["iocs"].values():
        for i in g:
            r = i.get("raw", i["value"]).encode("utf-8")
            assert r in data, (path, i)
    for e in doc["events"]:
        for m in e.get("match", []):
            assert m.encode("utf-8") in data, (path, m)
    print(f"  log      {path} ({len(doc['events'])} events)")


# ==================================================================================================
# The behaviour of the samples, as a list of abstract events (one source for every log format).

class Proc:
    _next_pid = 4100

    def __init__(self, image, cmdline, parent=None, desc="", company="", product="", orig="",
                 hashes=None, integrity="Medium"):
        Proc._next_pid += 116
        self.pid = Proc._next_pid
        self.image = image
        self.cmdline = cmdline
        self.parent = parent
        self.guid = guid(image + cmdline)
        self.desc, self.company, self.product, self.orig = desc, company, product, orig
        self.hashes = hashes
        self.integrity = integrity


EXPLORER = Proc(r"C:\Windows\explorer.exe", r"C:\Windows\Explorer.EXE")
EXPLORER.pid = 4012
EXPLORER.guid = guid("explorer")


def sample_proc(v, parent=EXPLORER, args=""):
    info = sample_info(v)
    image = DOWNLOADS + "\\" + v["file"]
    p = Proc(image, f'"{image}"' + (" " + args if args else ""), parent, desc="?", company="?",
             product="?", orig="?")
    p.hashes = f"MD5={info['md5'].upper()},SHA256={info['sha256'].upper()}"
    p.info = info
    return p


def scenario_session():
    """ashdrop v1, coalpit v1 and magpie v1 run one after the other on the guest."""
    clock = Clock(9 * 3600 * 1000 + 14 * 60 * 1000 + 3 * 1000 + 120)
    ev = []

    def add(kind, proc, **kw):
        clock.tick(kw.pop("dt", 41))
        ev.append(dict(kind=kind, proc=proc, t=clock.t, **kw))

    # ashdrop v1 ---------------------------------------------------------------------------------
    a = cfg("ashdrop", "v1")
    pa = sample_proc(a)
    pa.desc, pa.company, pa.product, pa.orig = (val(a, "VI_DESC"), val(a, "VI_COMPANY"), val(a, "VI_DESC"),
                                                val(a, "VI_ORIG"))
    drop = expand(val(a, "DROP_PATH"))
    run_data = val(a, "RUN_DATA_FMT").replace("%s", drop)
    add("process", pa)
    add("mutex", pa, name="\\Sessions\\1\\BaseNamedObjects\\" + val(a, "MUTEX").split("\\", 1)[1])
    add("file_create", pa, path=drop)
    add("reg_create_key", pa, key=HKU + "\\" + val(a, "RUN_KEY"))
    add("reg_set_value", pa, key=HKU + "\\" + val(a, "RUN_KEY") + "\\" + val(a, "RUN_VALUE"), data=run_data)
    pr = Proc(r"C:\Windows\System32\rundll32.exe", run_data, pa, desc="Windows host process (Rundll32)",
              company="Microsoft Corporation", product="Microsoft® Windows® Operating System", orig="RUNDLL32.EXE",
              integrity="Medium")
    pr.hashes = "MD5=EF3179D498793BF4234F708D3BE28633,SHA256=B53F3C0CD32D7F20849850768DA6431E5F876B7BFA61DB0AA0700B02873393FA"
    add("process", pr)
    add("image_load", pr, image=drop, signed=False)
    add("image_load", pr, image=r"C:\Windows\System32\wininet.dll", signed=True)
    host = "cdn.ashdrop.example.com"
    add("dns", pr, qname=host, answer=DNS_ANSWERS[host])
    uri = "/s2/beacon.php?" + val(a, "BEACON_FMT").replace("%s", "v1", 1).replace("%s", HOST, 1).replace(
        "%lu", "52011", 1)
    add("connect", pr, dst=DNS_ANSWERS[host], dport=80, host=host, sport=49711)
    add("http", pr, host=host, ip=DNS_ANSWERS[host], port=80, method="GET", uri=uri,
        ua=val(a, "USER_AGENT"), url=val(a, "C2_URL"))

    # coalpit v1 ---------------------------------------------------------------------------------
    c = cfg("coalpit", "v1")
    pc = sample_proc(c)
    install = expand(val(c, "INSTALL"))
    add("process", pc, dt=2400)
    add("mutex", pc, name="\\Sessions\\1\\BaseNamedObjects\\" + val(c, "MUTEX"))
    add("reg_rename_key", pc, key=HKU + "\\" + val(c, "RIVAL_KEY"),
        new=HKU + "\\Software\\" + val(c, "RIVAL_NEW"))
    add("file_create", pc, path=install)
    task_cmd = val(c, "SCHTASKS_FMT").replace("%s", val(c, "TASK"), 1).replace("%s", install, 1)
    ps = Proc(r"C:\Windows\System32\schtasks.exe", task_cmd, pc, desc="Task Scheduler Configuration Tool",
              company="Microsoft Corporation", product="Microsoft® Windows® Operating System",
              orig="schtasks.exe")
    ps.hashes = "MD5=76AF6F1F5C5C24C1C1D7A0C0A1B5C5D1,SHA256=5C0C8D1B1D8E5F0A3C7B9E2D4F6A8C0B2D4E6F8A0C2E4A6B8D0F2A4C6E8B0D2F4"
    add("process", ps)
    add("task_created", ps, task=val(c, "TASK"), command=install)
    add("image_load", pc, image=r"C:\Windows\System32\ws2_32.dll", signed=True)
    pool_host = "pool.coalpit.example.com"
    add("dns", pc, qname=pool_host, answer=DNS_ANSWERS[pool_host])
    add("connect", pc, dst=DNS_ANSWERS[pool_host], dport=3333, host=pool_host, sport=49714)
    login = val(c, "LOGIN_FMT").replace("%s", val(c, "WALLET"), 1).replace("%s", val(c, "WORKER"), 1).replace(
        "%s", "v1", 1)
    add("tcp_payload", pc, ip=DNS_ANSWERS[pool_host], port=3333, data=login + "\n", url=val(c, "POOL"))

    # magpie v1 ----------------------------------------------------------------------------------
    m = cfg("magpie", "v1")
    pm = sample_proc(m)
    stage = expand(val(m, "STAGE"))
    ld_copy = expand(val(m, "LD_COPY")).replace("%08lx", "0009a3f1")
    add("process", pm, dt=3100)
    add("mutex", pm, name="\\Sessions\\1\\BaseNamedObjects\\" + val(m, "MUTEX"))
    add("file_create", pm, path=stage)
    add("file_create", pm, path=ld_copy)
    add("file_delete", pm, path=ld_copy, archived=False)
    add("image_load", pm, image=r"C:\Windows\System32\crypt32.dll", signed=True)
    mh = "collect.magpie.example.net"
    add("dns", pm, qname=mh, answer=DNS_ANSWERS[mh])
    add("connect", pm, dst=DNS_ANSWERS[mh], dport=80, host=mh, sport=49720)
    add("http", pm, host=mh, ip=DNS_ANSWERS[mh], port=80, method="POST", uri=val(m, "EXFIL_PATH"),
        ua="Mozilla/5.0", url=val(m, "EXFIL"),
        body_type="multipart/form-data; boundary=" + val(m, "BOUNDARY").replace("%08lx", "0009a3f1"))
    add("file_delete", pm, path=stage, archived=True)
    return [a, c, m], [pa, pr, pc, ps, pm], ev, clock


# ==================================================================================================
# Sysmon (XML export and Winlogbeat JSON) + Security 4688/4698

SYSMON_GUID = "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"
SECURITY_GUID = "{54849625-5478-4994-a5ba-3e3b0328c30d}"
LOGON_GUID = "{7e1a4c2b-0f3d-65ef-6f4b-0e0000000000}"
ACCOUNT = DOMAIN + "\\" + USER


def sysmon_records(ev, clock):
    """-> list of (channel, event_id, task, record_id, time_ms, [(name, value)], ioc list, match list)"""
    recs = []
    rid = [4100]
    srid = [88200]

    def rec(channel, eid, t, data, iocs, match, task=None):
        if channel == "Security":
            srid[0] += 1
            r = srid[0]
        else:
            rid[0] += 1
            r = rid[0]
        recs.append(dict(channel=channel, eid=eid, t=t, data=data, iocs=iocs, match=match, rid=r,
                         task=task if task is not None else eid))

    for e in ev:
        p, t = e["proc"], e["t"]
        base = [("RuleName", "-"), ("UtcTime", clock.sysmon(t)), ("ProcessGuid", p.guid), ("ProcessId", str(p.pid))]
        k = e["kind"]
        if k == "process":
            par = p.parent
            rec("Microsoft-Windows-Sysmon/Operational", 1, t, base + [
                ("Image", p.image), ("FileVersion", "-" if p.desc == "?" else "10.0.19041.1"),
                ("Description", p.desc), ("Product", p.product), ("Company", p.company),
                ("OriginalFileName", p.orig), ("CommandLine", p.cmdline),
                ("CurrentDirectory", DOWNLOADS + "\\"), ("User", ACCOUNT), ("LogonGuid", LOGON_GUID),
                ("LogonId", "0x4f1a2"), ("TerminalSessionId", "1"), ("IntegrityLevel", p.integrity),
                ("Hashes", p.hashes or "-"), ("ParentProcessGuid", par.guid), ("ParentProcessId", str(par.pid)),
                ("ParentImage", par.image), ("ParentCommandLine", par.cmdline), ("ParentUser", ACCOUNT)],
                [("file_path", p.image), ("command", p.cmdline)] +
                ([("sha256", p.info["sha256"].upper()), ("md5", p.info["md5"].upper())]
                 if hasattr(p, "info") else []),
                [p.cmdline])
            rec("Security", 4688, t, [
                ("SubjectUserSid", SID), ("SubjectUserName", USER), ("SubjectDomainName", DOMAIN),
                ("SubjectLogonId", "0x4f1a2"), ("NewProcessId", hex(p.pid)), ("NewProcessName", p.image),
                ("TokenElevationType", "%%1938"), ("ProcessId", hex(par.pid)), ("CommandLine", p.cmdline),
                ("TargetUserSid", "S-1-0-0"), ("TargetUserName", "-"), ("TargetDomainName", "-"),
                ("TargetLogonId", "0x0"), ("ParentProcessName", par.image),
                ("MandatoryLabel", "S-1-16-8192")], [], [p.cmdline], task=13312)
        elif k == "file_create":
            rec("Microsoft-Windows-Sysmon/Operational", 11, t, base + [
                ("Image", p.image), ("TargetFilename", e["path"]), ("CreationUtcTime", clock.sysmon(t)),
                ("User", ACCOUNT)], [("file_path", e["path"])], [e["path"]])
        elif k == "file_delete":
            eid = 23 if e["archived"] else 26
            fields = base + [("User", ACCOUNT), ("Image", p.image), ("TargetFilename", e["path"]),
                             ("Hashes", "MD5=" + hashlib.md5(e["path"].encode()).hexdigest().upper()),
                             ("IsExecutable", "false")]
            if e["archived"]:
                fields.append(("Archived", "true"))
            rec("Microsoft-Windows-Sysmon/Operational", eid, t, fields, [("file_path", e["path"])], [e["path"]])
        elif k == "reg_create_key":
            rec("Microsoft-Windows-Sysmon/Operational", 12, t, [("RuleName", "-"), ("EventType", "CreateKey")] +
                base[1:] + [("Image", p.image), ("TargetObject", e["key"]), ("User", ACCOUNT)],
                [("registry_key", e["key"])], [e["key"]])
        elif k == "reg_set_value":
            rec("Microsoft-Windows-Sysmon/Operational", 13, t, [("RuleName", "T1547.001,RunKey"),
                                                                 ("EventType", "SetValue")] +
                base[1:] + [("Image", p.image), ("TargetObject", e["key"]), ("Details", e["data"]),
                            ("User", ACCOUNT)],
                [("registry_value", e["key"]), ("command", e["data"])], [e["key"]])
        elif k == "reg_rename_key":
            rec("Microsoft-Windows-Sysmon/Operational", 14, t, [("RuleName", "-"), ("EventType", "RenameKey")] +
                base[1:] + [("Image", p.image), ("TargetObject", e["key"]), ("NewName", e["new"]),
                            ("User", ACCOUNT)],
                [("registry_key", e["key"]), ("registry_key", e["new"])], [e["new"]])
        elif k == "image_load":
            rec("Microsoft-Windows-Sysmon/Operational", 7, t, base + [
                ("Image", p.image), ("ImageLoaded", e["image"]),
                ("FileVersion", "10.0.19041.3636" if e["signed"] else "-"),
                ("Description", "-"), ("Product", "-"), ("Company", "-"), ("OriginalFileName", "-"),
                ("Hashes", "MD5=" + hashlib.md5(e["image"].encode()).hexdigest().upper()),
                ("Signed", "true" if e["signed"] else "false"),
                ("Signature", "Microsoft Windows" if e["signed"] else "-"),
                ("SignatureStatus", "Valid" if e["signed"] else "Unavailable"), ("User", ACCOUNT)],
                [("file_path", e["image"])] if not e["signed"] else [], [e["image"]])
        elif k == "dns":
            ans = e["answer"]
            res = (f"type:  28 {ans};" if ":" in ans else f"::ffff:{ans};")
            rec("Microsoft-Windows-Sysmon/Operational", 22, t, [("RuleName", "-")] + base[1:] + [
                ("QueryName", e["qname"]), ("QueryStatus", "0"), ("QueryResults", res),
                ("Image", p.image), ("User", ACCOUNT)],
                [("domain", e["qname"]), ("ipv6" if ":" in ans else "ipv4", ans)], [e["qname"]])
        elif k == "connect":
            rec("Microsoft-Windows-Sysmon/Operational", 3, t, base + [
                ("Image", p.image), ("User", ACCOUNT), ("Protocol", "tcp"), ("Initiated", "true"),
                ("SourceIsIpv6", "false"), ("SourceIp", GUEST_IP), ("SourceHostname", HOST),
                ("SourcePort", str(e["sport"])), ("SourcePortName", "-"), ("DestinationIsIpv6", "false"),
                ("DestinationIp", e["dst"]), ("DestinationHostname", e["host"]),
                ("DestinationPort", str(e["dport"])), ("DestinationPortName", "http" if e["dport"] == 80 else "-")],
                [("ipv4", e["dst"]), ("domain", e["host"])], [e["dst"]])
        elif k == "task_created":
            content = (
                '<?xml version="1.0" encoding="UTF-16"?>\r\n<Task version="1.2" '
                'xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">\r\n  <RegistrationInfo>\r\n'
                f'    <URI>{e["task"]}</URI>\r\n  </RegistrationInfo>\r\n  <Triggers>\r\n    <LogonTrigger>\r\n'
                '      <Enabled>true</Enabled>\r\n    </LogonTrigger>\r\n  </Triggers>\r\n  <Principals>\r\n'
                f'    <Principal id="Author">\r\n      <UserId>{SID}</UserId>\r\n'
                '      <RunLevel>HighestAvailable</RunLevel>\r\n    </Principal>\r\n  </Principals>\r\n'
                '  <Actions Context="Author">\r\n    <Exec>\r\n'
                f'      <Command>{e["command"]}</Command>\r\n    </Exec>\r\n  </Actions>\r\n</Task>')
            rec("Security", 4698, t, [
                ("SubjectUserSid", SID), ("SubjectUserName", USER), ("SubjectDomainName", DOMAIN),
                ("SubjectLogonId", "0x4f1a2"), ("TaskName", e["task"]), ("TaskContent", content),
                ("ClientProcessStartKey", "9851624703410817"), ("ClientProcessId", str(p.pid)),
                ("ParentProcessId", str(p.parent.pid)), ("RpcCallClientLocality", "0"), ("FQDN", HOST)],
                [("task_name", e["task"])], [e["task"]], task=12804)
    return recs


def reg_norm(k):
    return k.replace(HKU + "\\", "HKCU\\")


def sysmon_iocs(recs, raw_of):
    out = []
    for r in recs:
        for t, v in r["iocs"]:
            if t in ("registry_key", "registry_value"):
                out.append(ioc(t, reg_norm(v), raw_of(v)))
            elif t == "domain":
                out.append(ioc(t, v.lower(), raw_of(v)))
            else:
                out.append(ioc(t, v, raw_of(v)))
    return out


SCM_GUID = "{555908d1-a6d7-4695-8e1e-26931d2012f4}"


def sysmon_xml(recs, clock):
    parts = ['<?xml version="1.0" encoding="utf-8"?>', "<Events>"]
    for r in recs:
        sysmon = r["channel"] not in ("Security", "System")
        prov = ("<Provider Name='Microsoft-Windows-Sysmon' Guid='%s'/>" % SYSMON_GUID if sysmon else
                "<Provider Name='Microsoft-Windows-Security-Auditing' Guid='%s'/>" % SECURITY_GUID
                if r["channel"] == "Security" else
                "<Provider Name='Service Control Manager' Guid='%s' EventSourceName='Service Control Manager'/>"
                % SCM_GUID)
        version = {1: 5, 3: 5, 7: 3, 11: 2, 12: 2, 13: 2, 14: 2, 22: 5, 23: 5, 26: 5}.get(r["eid"], 2 if r["eid"] == 4688 else 1)
        data = "".join(f"<Data Name='{n}'>{xml_escape(v)}</Data>" for n, v in r["data"])
        parts.append(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>" + prov +
            f"<EventID>{r['eid']}</EventID><Version>{version}</Version><Level>{4 if sysmon else 0}</Level>"
            f"<Task>{r['task']}</Task><Opcode>{0 if sysmon else 0}</Opcode>"
            f"<Keywords>{'0x8000000000000000' if sysmon else '0x8020000000000000'}</Keywords>"
            f"<TimeCreated SystemTime='{clock.iso(r['t'])}'/><EventRecordID>{r['rid']}</EventRecordID>"
            + ("<Correlation/>" if sysmon else f"<Correlation ActivityID='{guid('act')}'/>") +
            f"<Execution ProcessID='{2876 if sysmon else 4}' ThreadID='{3520 if sysmon else 7412}'/>"
            f"<Channel>{r['channel']}</Channel><Computer>{HOST}</Computer>"
            + ("<Security UserID='S-1-5-18'/>" if sysmon else "<Security/>") +
            f"</System><EventData>{data}</EventData></Event>")
    parts.append("</Events>")
    return "\r\n".join(parts) + "\r\n"


def sysmon_ndjson(recs, clock):
    lines = []
    for r in recs:
        sysmon = r["channel"] not in ("Security", "System")
        provider = ("Microsoft-Windows-Sysmon" if sysmon else "Microsoft-Windows-Security-Auditing"
                    if r["channel"] == "Security" else "Service Control Manager")
        d = {
            "@timestamp": clock.iso(r["t"], frac=3),
            "agent": {"type": "winlogbeat", "version": "8.12.2"},
            "event": {"code": str(r["eid"]), "kind": "event",
                      "module": "sysmon" if sysmon else r["channel"].lower(),
                      "provider": provider,
                      "created": clock.iso(r["t"] + 900, frac=3)},
            "host": {"name": HOST.lower(), "hostname": HOST, "os": {"family": "windows", "version": "10.0"}},
            "log": {"level": "information"},
            "winlog": {
                "channel": r["channel"], "computer_name": HOST, "event_id": str(r["eid"]),
                "provider_guid": SYSMON_GUID if sysmon else SECURITY_GUID if r["channel"] == "Security" else SCM_GUID,
                "provider_name": provider,
                "record_id": str(r["rid"]), "task": str(r["task"]),
                "process": {"pid": 2876 if sysmon else 4, "thread": {"id": 3520 if sysmon else 7412}},
                "event_data": {n: v for n, v in r["data"]},
            },
        }
        if sysmon:
            d["winlog"]["user"] = {"identifier": "S-1-5-18", "domain": "NT AUTHORITY", "name": "SYSTEM",
                                   "type": "User"}
        lines.append(json.dumps(d, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n"


# ==================================================================================================
# pcap (classic libpcap, Ethernet)

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip_bytes(a):
    import ipaddress
    return ipaddress.ip_address(a).packed


class Pcap:
    MAC_GUEST = bytes.fromhex("020000a1b2c3")
    MAC_GW = bytes.fromhex("020000000001")

    def __init__(self, clock):
        self.clock = clock
        self.out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
        self.ip_id = 0x1a2b
        self.frames = 0

    def frame(self, src, dst, proto, payload, outbound):
        v6 = ":" in src
        if v6:
            ip = struct.pack("!IHBB", 0x60000000, len(payload), proto, 64) + ip_bytes(src) + ip_bytes(dst)
            eth_type = 0x86DD
        else:
            self.ip_id = (self.ip_id + 1) & 0xFFFF
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), self.ip_id, 0x4000, 128 if outbound else 52,
                              proto, 0, ip_bytes(src), ip_bytes(dst))
            ip = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
            eth_type = 0x0800
        macs = (self.MAC_GW + self.MAC_GUEST) if outbound else (self.MAC_GUEST + self.MAC_GW)
        pkt = macs + struct.pack("!H", eth_type) + ip + payload
        t = self.clock.tick(3)
        sec, ms = divmod(t, 1000)
        self.out.append(struct.pack("<IIII", 1710201600 + sec, ms * 1000 + (self.frames % 7) * 13, len(pkt), len(pkt)))
        self.out.append(pkt)
        self.frames += 1

    def pseudo(self, src, dst, proto, length):
        if ":" in src:
            return ip_bytes(src) + ip_bytes(dst) + struct.pack("!IxxxB", length, proto)
        return ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, proto, length)

    def udp(self, src, sport, dst, dport, data, outbound):
        hdr = struct.pack("!HHHH", sport, dport, 8 + len(data), 0)
        c = csum(self.pseudo(src, dst, 17, 8 + len(data)) + hdr + data) or 0xFFFF
        self.frame(src, dst, 17, hdr[:6] + struct.pack("!H", c) + data, outbound)

    def tcp(self, src, sport, dst, dport, seq, ack, flags, data, outbound):
        opts = b"\x02\x04\x05\xb4\x01\x03\x03\x08\x01\x01\x04\x02" if flags & 0x02 else b""
        off = (20 + len(opts)) // 4
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 64240 if outbound else 65535, 0, 0) + opts
        c = csum(self.pseudo(src, dst, 6, len(hdr) + len(data)) + hdr + data)
        hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
        self.frame(src, dst, 6, hdr + data, outbound)

    def session(self, cli, sport, srv, dport, client_data, server_data=b""):
        label = f"{cli}:{sport}>{srv}:{dport}"
        cs = int.from_bytes(rnd(label + "c", 4), "big")
        ss = int.from_bytes(rnd(label + "s", 4), "big")
        self.tcp(cli, sport, srv, dport, cs, 0, 0x02, b"", True)
        self.tcp(srv, dport, cli, sport, ss, cs + 1, 0x12, b"", False)
        cs += 1
        ss += 1
        self.tcp(cli, sport, srv, dport, cs, ss, 0x10, b"", True)
        self.tcp(cli, sport, srv, dport, cs, ss, 0x18, client_data, True)
        cs += len(client_data)
        if server_data:
            self.tcp(srv, dport, cli, sport, ss, cs, 0x18, server_data, False)
            ss += len(server_data)
        self.tcp(cli, sport, srv, dport, cs, ss, 0x11, b"", True)
        self.tcp(srv, dport, cli, sport, ss, cs + 1, 0x11, b"", False)
        self.tcp(cli, sport, srv, dport, cs + 1, ss + 1, 0x10, b"", True)

    def bytes(self):
        return b"".join(self.out)


def dns_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_query(qid, name, qtype):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)


def dns_answer(qid, name, qtype, addr):
    return (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)
            + struct.pack("!HHHIH", 0xC00C, qtype, 1, 300, len(ip_bytes(addr))) + ip_bytes(addr))


def client_hello(sni, label):
    ext = b""

    def e(t, body):
        return struct.pack("!HH", t, len(body)) + body
    name = sni.encode()
    ext += e(0x0000, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name)
    ext += e(0x0017, b"")
    ext += e(0xff01, b"\x00")
    ext += e(0x000a, struct.pack("!H", 8) + struct.pack("!HHHH", 0x001d, 0x0017, 0x0018, 0x0019))
    ext += e(0x000b, b"\x01\x00")
    ext += e(0x0010, struct.pack("!H", 12) + b"\x02h2\x08http/1.1")
    ext += e(0x000d, struct.pack("!H", 16) + struct.pack("!8H", 0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806,
                                                           0x0401, 0x0501))
    ext += e(0x002b, b"\x04\x03\x04\x03\x03")
    ext += e(0x002d, b"\x01\x01")
    ext += e(0x0033, struct.pack("!HHH", 36, 0x001d, 32) + rnd(label + "ks", 32))
    suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
              0x009d, 0x002f, 0x0035]
    body = (b"\x03\x03" + rnd(label + "rand", 32) + b"\x20" + rnd(label + "sid", 32) +
            struct.pack("!H", 2 * len(suites)) + struct.pack(f"!{len(suites)}H", *suites) + b"\x01\x00" +
            struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def scenario_pcap():
    clock = Clock(10 * 3600 * 1000 + 2 * 60 * 1000)
    cap = Pcap(clock)
    events, iocs = [], []
    qid = [0x3a10]
    sport = [50100]

    def dns(name, qtype=1):
        qid[0] += 7
        ans = DNS_ANSWERS[name]
        qtype = 28 if ":" in ans else 1
        cap.udp(GUEST_IP, 53000 + qid[0] % 1000, DNS_IP, 53, dns_query(qid[0], name, qtype), True)
        cap.udp(DNS_IP, 53, GUEST_IP, 53000 + qid[0] % 1000, dns_answer(qid[0], name, qtype, ans), False)
        wire = dns_name(name)[:-1].decode("latin-1")
        events.append({"type": "dns_query", "qname": name, "qtype": "AAAA" if qtype == 28 else "A",
                       "answers": [ans], "match": [wire]})
        iocs.append(ioc("domain", name, wire, encoding="dns_wire"))
        return ans

    def http(sample, method, host, ip, port, uri, ua, body=b"", ctype=None, url=None):
        sport[0] += 3
        req = f"{method} {uri} HTTP/1.1\r\n"
        if ctype:
            req += f"Content-Type: {ctype}\r\n"
        req += f"User-Agent: {ua}\r\nHost: {host}\r\n"
        if body:
            req += f"Content-Length: {len(body)}\r\n"
        req += "Connection: Keep-Alive\r\nCache-Control: no-cache\r\n\r\n"
        resp_body = b"MZ\x90\x00" + b"\x00" * 60 if uri.endswith(".exe") else b"OK"
        resp = (f"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: {len(resp_body)}\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + resp_body
        cap.session(GUEST_IP, sport[0], ip, port, req.encode() + body, resp)
        events.append({"type": "http_request", "sample": sample, "method": method, "host": host, "uri": uri,
                       "user_agent": ua, "dst": f"{ip}:{port}", "match": [f"{method} {uri} HTTP/1.1",
                                                                          f"Host: {host}"]})
        iocs.append(ioc("user_agent", ua))
        iocs.append(ioc("ipv4" if host[0].isdigit() else "domain", host))

    # fetchbird v1: URLDownloadToFile -> files.fetchbird.example.net
    f1 = cfg("fetchbird", "v1")
    u1 = val(f1, "URL1")
    h1 = "files.fetchbird.example.net"
    ip1 = dns(h1)
    http(f1["path"], "GET", h1, ip1, 80, "/update/kb5012170.exe",
         "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; Win64; x64; Trident/7.0; .NET4.0C; .NET4.0E)")
    events[-1]["url"] = u1
    # fetchbird v2: WinINet -> cdn.fetchbird.example.com, then the IP fallback
    f2 = cfg("fetchbird", "v2")
    h2 = "cdn.fetchbird.example.com"
    ip2 = dns(h2)
    http(f2["path"], "GET", h2, ip2, 80, "/img/logo.gif", val(f2, "USER_AGENT"))
    events[-1]["url"] = val(f2, "URL1")
    http(f2["path"], "GET", "203.0.113.77", "203.0.113.77", 80, "/img/logo.gif", val(f2, "USER_AGENT"))
    events[-1]["url"] = val(f2, "URL2")
    # ashdrop v1 stage 2 beacon
    a1 = cfg("ashdrop", "v1")
    h3 = "cdn.ashdrop.example.com"
    ip3 = dns(h3)
    uri = "/s2/beacon.php?" + val(a1, "BEACON_FMT").replace("%s", "v1", 1).replace("%s", HOST, 1).replace(
        "%lu", "52011", 1)
    http(a1["path"], "GET", h3, ip3, 80, uri, val(a1, "USER_AGENT"))
    events[-1]["url"] = val(a1, "C2_URL")
    # magpie v1 exfiltration
    m1 = cfg("magpie", "v1")
    h4 = "collect.magpie.example.net"
    ip4 = dns(h4)
    boundary = val(m1, "BOUNDARY").replace("%08lx", "0009a3f1")
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{HOST}.zip\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + rnd("magpie-zip", 180) + \
        f"\r\n--{boundary}--\r\n".encode()
    http(m1["path"], "POST", h4, ip4, 80, val(m1, "EXFIL_PATH"), "Mozilla/5.0", body,
         ctype=f"multipart/form-data; boundary={boundary}")
    events[-1]["url"] = val(m1, "EXFIL")
    # coalpit v1 stratum login (plain TCP)
    c1 = cfg("coalpit", "v1")
    h5 = "pool.coalpit.example.com"
    ip5 = dns(h5)
    login = val(c1, "LOGIN_FMT").replace("%s", val(c1, "WALLET"), 1).replace("%s", val(c1, "WORKER"), 1).replace(
        "%s", "v1", 1) + "\n"
    sport[0] += 3
    reply = ('{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"7f3a","job":{"blob":"0e0e","job_id":"1",'
             '"target":"b88d0600"},"status":"OK"}}\n')
    cap.session(GUEST_IP, sport[0], ip5, 3333, login.encode(), reply.encode())
    events.append({"type": "tcp_payload", "sample": c1["path"], "dst": f"{ip5}:3333", "protocol": "stratum",
                   "match": ['"method":"login"', val(c1, "WALLET")]})
    iocs.append(ioc("wallet", val(c1, "WALLET")))
    # fetchbird v3: TLS to dl.fetchbird.example.org over IPv6 (AAAA answer)
    f3 = cfg("fetchbird", "v3")
    h6 = "dl.fetchbird.example.org"
    ip6 = dns(h6)
    guest6 = "2001:db8:10::10"
    sport[0] += 3
    cap.session(guest6, sport[0], ip6, 443, client_hello(h6, "fb3"))
    events.append({"type": "tls_client_hello", "sample": f3["path"], "sni": h6, "dst": f"[{ip6}]:443",
                   "match": [h6]})
    # ashdrop v3: TLS to telemetry.ashdrop.example.org
    a3 = cfg("ashdrop", "v3")
    h7 = "telemetry.ashdrop.example.org"
    ip7 = dns(h7)
    sport[0] += 3
    cap.session(GUEST_IP, sport[0], ip7, 443, client_hello(h7, "ad3"))
    events.append({"type": "tls_client_hello", "sample": a3["path"], "sni": h7, "dst": f"{ip7}:443",
                   "match": [h7]})
    # domains appear dotted in Host headers and SNI as well
    for h in (h1, h2, h3, h4, h6, h7):
        iocs.append(ioc("domain", h))
    samples = [f1["path"], f2["path"], a1["path"], m1["path"], c1["path"], f3["path"], a3["path"]]
    return cap.bytes(), events, iocs, samples


# ==================================================================================================
# CAPE report.json

def cape_report(v, procs_calls, files, write_files, keys, write_keys, mutexes, commands, resolved, network,
                signatures, dropped, task_id, clock, extra_iocs):
    info = sample_info(v)
    started = clock.iso(frac=3).replace("T", " ")[:19]
    clock.tick(184000)
    ended = clock.iso(frac=3).replace("T", " ")[:19]
    rep = {
        "info": {"id": task_id, "version": "2.4-CAPE", "started": started, "ended": ended, "duration": 184,
                 "category": "file", "package": "dll" if v["kind"] == "dll" else "exe",
                 "machine": {"name": "win10-x64-01", "label": "win10-x64-01", "platform": "windows",
                             "manager": "KVM", "started_on": started, "shutdown_on": ended},
                 "timeout": False, "route": "inetsim", "options": ""},
        "target": {"category": "file", "file": {
            "name": info["name"], "path": f"/opt/CAPEv2/storage/binaries/{info['sha256']}", "size": info["size"],
            "crc32": "%08X" % (__import__("zlib").crc32(info["data"]) & 0xFFFFFFFF),
            "md5": info["md5"], "sha1": info["sha1"], "sha256": info["sha256"],
            "sha512": hashlib.sha512(info["data"]).hexdigest(),
            "type": {"pe": {"x86": "PE32 executable (GUI) Intel 80386, for MS Windows",
                            "x86_64": "PE32+ executable (GUI) x86-64, for MS Windows"}[v["arch"]]}["pe"]
            if v["kind"] == "exe" else "PE32+ executable (DLL) (console) x86-64, for MS Windows"}},
        "behavior": {"processes": procs_calls,
                     "processtree": [{"name": p["process_name"], "pid": p["process_id"], "parent_id": p["parent_id"],
                                      "module_path": p["module_path"], "children": []} for p in procs_calls],
                     "summary": {"files": files, "read_files": [], "write_files": write_files,
                                 "delete_files": [], "keys": keys, "read_keys": [], "write_keys": write_keys,
                                 "delete_keys": [], "executed_commands": commands, "resolved_apis": resolved,
                                 "mutexes": mutexes, "created_services": [], "started_services": []}},
        "network": network,
        "signatures": signatures,
        "ttps": [{"signature": s["name"], "ttps": s["ttp"]} for s in signatures],
        "dropped": dropped,
        "CAPE": {"payloads": [], "configs": []},
        "malscore": 8.4,
        "malstatus": "Malicious",
    }
    # nest children under the first process for processtree
    tree = rep["behavior"]["processtree"]
    if len(tree) > 1:
        tree[0]["children"] = tree[1:]
        del tree[1:]
    return json.dumps(rep, indent=4, ensure_ascii=False) + "\n"


def call(clock, api, ret, **args):
    clock.tick(3)
    return {"timestamp": clock.iso(frac=3).replace("T", " ")[:23], "thread_id": "2212", "caller": "0x00401a3c",
            "parentcaller": "0x00401f10", "category": api[1], "api": api[0], "status": True, "return": ret,
            "arguments": [{"name": k, "value": v} for k, v in args.items()], "repeated": 0, "id": 0}


def scenario_cape_ashdrop():
    clock = Clock(11 * 3600 * 1000)
    a = cfg("ashdrop", "v1")
    info = sample_info(a)
    drop = expand(val(a, "DROP_PATH"))
    run_key = "HKEY_CURRENT_USER\\" + val(a, "RUN_KEY")
    run_data = val(a, "RUN_DATA_FMT").replace("%s", drop)
    host = "cdn.ashdrop.example.com"
    ip = DNS_ANSWERS[host]
    image = r"C:\Users\alice\AppData\Local\Temp" + "\\" + info["name"]
    p1calls = [
        call(clock, ("NtCreateMutant", "synchronisation"), "0x00000000", MutantName=val(a, "MUTEX"), InitialOwner="1"),
        call(clock, ("FindResourceA", "resource"), "0x0040b060", Module="0x00400000", Name=val(a, "RES_NAME"),
             Type="RT_RCDATA"),
        call(clock, ("ExpandEnvironmentStringsA", "system"), "61", Source=val(a, "DROP_PATH"), Destination=drop),
        call(clock, ("NtCreateFile", "filesystem"), "0x00000000", FileName=drop, DesiredAccess="0x40100080",
             CreateDisposition="5"),
        call(clock, ("NtWriteFile", "filesystem"), "0x00000000", FileName=drop, Length="10752"),
        call(clock, ("SetFileAttributesA", "filesystem"), "1", FileName=drop, FileAttributes="0x00000006"),
        call(clock, ("RegCreateKeyExA", "registry"), "0", Registry="0x80000001", SubKey=val(a, "RUN_KEY"),
             FullName=run_key),
        call(clock, ("RegSetValueExA", "registry"), "0", FullName=run_key + "\\" + val(a, "RUN_VALUE"),
             Type="1", Buffer=run_data),
        call(clock, ("CreateProcessInternalW", "process"), "1", ApplicationName="", CommandLine=run_data,
             CreationFlags="0x08000000", ProcessId="3304"),
    ]
    p2calls = [
        call(clock, ("LdrLoadDll", "system"), "0x00000000", FileName=drop, BaseAddress="0x6a6c0000"),
        call(clock, ("InternetOpenA", "network"), "0x00cc0004", Agent=val(a, "USER_AGENT"), AccessType="0"),
        call(clock, ("InternetOpenUrlA", "network"), "0x00cc0008",
             URL=val(a, "C2_URL") + "?adrp=v1&host=" + HOST + "&build=52011", Flags="0x84000000"),
    ]
    procs = [
        {"process_id": 2940, "process_name": info["name"], "parent_id": 4012, "module_path": image,
         "first_seen": "2024-03-12 11:00:00,412", "calls": p1calls,
         "environ": {"CommandLine": f'"{image}"', "UserName": USER, "ComputerName": HOST}},
        {"process_id": 3304, "process_name": "rundll32.exe", "parent_id": 2940,
         "module_path": r"C:\Windows\System32\rundll32.exe", "first_seen": "2024-03-12 11:00:01,027",
         "calls": p2calls, "environ": {"CommandLine": run_data, "UserName": USER, "ComputerName": HOST}},
    ]
    url = val(a, "C2_URL") + "?adrp=v1&host=" + HOST + "&build=52011"
    network = {
        "hosts": [{"ip": ip, "country_name": "", "hostname": host, "inaddrarpa": "", "ports": [80]}],
        "domains": [{"domain": host, "ip": ip}],
        "dns": [{"request": host, "type": "A", "answers": [{"type": "A", "data": ip}]}],
        "http": [{"count": 1, "host": host, "port": 80, "uri": url, "method": "GET", "path": "/s2/beacon.php",
                  "user-agent": val(a, "USER_AGENT"), "version": "1.1", "body": "",
                  "data": f"GET /s2/beacon.php?adrp=v1&host={HOST}&build=52011 HTTP/1.1\r\nUser-Agent: "
                          f"{val(a, 'USER_AGENT')}\r\nHost: {host}\r\n\r\n"}],
        "tcp": [{"src": GUEST_IP, "sport": 49711, "dst": ip, "dport": 80, "offset": 2214, "time": 1.84}],
        "udp": [{"src": GUEST_IP, "sport": 53214, "dst": DNS_IP, "dport": 53, "offset": 1840, "time": 1.62}],
        "pcap_sha256": hashlib.sha256(b"ashdrop-v1-dump.pcap").hexdigest(),
    }
    sigs = [
        {"name": "persistence_autorun", "description": "Installs itself for autorun at Windows startup",
         "severity": 3, "confidence": 100, "categories": ["persistence"], "families": [],
         "ttp": ["T1547.001"], "data": [{"regkey": run_key + "\\" + val(a, "RUN_VALUE")}, {"data": run_data}]},
        {"name": "dropper", "description": "Drops a binary and executes it", "severity": 2, "confidence": 100,
         "categories": ["dropper"], "families": [], "ttp": ["T1027.009"], "data": [{"file": drop}]},
        {"name": "stealth_file", "description": "Creates a hidden or system file", "severity": 3,
         "confidence": 100, "categories": ["stealth"], "families": [], "ttp": ["T1564.001"],
         "data": [{"file": drop}]},
        {"name": "uses_windows_utilities", "description": "Uses Windows utilities for basic functionality",
         "severity": 2, "confidence": 80, "categories": ["commands"], "families": [], "ttp": ["T1218.011"],
         "data": [{"command": run_data}]},
        {"name": "network_http", "description": "Performs some HTTP requests", "severity": 2, "confidence": 100,
         "categories": ["network"], "families": [], "ttp": ["T1071.001"], "data": [{"url": url}]},
    ]
    dropped = [{"name": [os.path.basename(drop)], "path": f"/opt/CAPEv2/storage/analyses/1187/files/{os.path.basename(drop)}",
                "guest_paths": [drop], "size": 10752, "type": "PE32+ executable (DLL) (GUI) x86-64, for MS Windows",
                "sha256": hashlib.sha256(("stage2" + drop).encode()).hexdigest()}]
    text = cape_report(a, procs, [drop], [drop], [run_key], [run_key + "\\" + val(a, "RUN_VALUE")],
                       [val(a, "MUTEX")], [run_data], [], network, sigs, dropped, 1187, clock, [])
    iocs = [
        ioc("sha256", info["sha256"]), ioc("md5", info["md5"]),
        ioc("file_path", drop, json_raw(drop)),
        ioc("registry_value", "HKCU\\" + val(a, "RUN_KEY") + "\\" + val(a, "RUN_VALUE"),
            json_raw(run_key + "\\" + val(a, "RUN_VALUE"))),
        ioc("mutex", val(a, "MUTEX"), json_raw(val(a, "MUTEX"))),
        ioc("command", run_data, json_raw(run_data)),
        ioc("domain", host), ioc("ipv4", ip), ioc("url", url), ioc("user_agent", val(a, "USER_AGENT")),
    ]
    events = [
        {"type": "process", "pid": 2940, "image": info["name"], "match": [info["name"]]},
        {"type": "mutex", "name": val(a, "MUTEX"), "match": [json_raw(val(a, "MUTEX"))]},
        {"type": "file_write", "path": drop, "match": [json_raw(drop)]},
        {"type": "registry_set", "key": run_key + "\\" + val(a, "RUN_VALUE"), "data": run_data,
         "match": [json_raw(run_key + "\\" + val(a, "RUN_VALUE"))]},
        {"type": "process", "pid": 3304, "image": "rundll32.exe", "command_line": run_data,
         "match": [json_raw(run_data)]},
        {"type": "dns_query", "qname": host, "answers": [ip], "match": [f'"request": "{host}"']},
        {"type": "http_request", "url": url, "user_agent": val(a, "USER_AGENT"), "match": [url]},
    ] + [{"type": "signature", "name": s["name"], "ttp": s["ttp"], "match": [f'"name": "{s["name"]}"']}
         for s in sigs]
    return text, events, iocs, [a["path"]]


def scenario_cape_fetchbird():
    clock = Clock(11 * 3600 * 1000 + 30 * 60 * 1000)
    f = cfg("fetchbird", "v2")
    info = sample_info(f)
    image = r"C:\Users\alice\AppData\Local\Temp" + "\\" + info["name"]
    save = expand(val(f, "SAVE_PATH"))
    host = "cdn.fetchbird.example.com"
    ip = DNS_ANSWERS[host]
    ua = val(f, "USER_AGENT")
    calls = [
        call(clock, ("NtCreateMutant", "synchronisation"), "0x00000000", MutantName=val(f, "MUTEX"), InitialOwner="0"),
        call(clock, ("InternetOpenA", "network"), "0x00cc0004", Agent=ua, AccessType="0"),
        call(clock, ("InternetOpenUrlA", "network"), "0x00cc0008", URL=val(f, "URL1"), Flags="0x80000000"),
        call(clock, ("NtCreateFile", "filesystem"), "0x00000000", FileName=save, DesiredAccess="0x40100080",
             CreateDisposition="5"),
        call(clock, ("InternetReadFile", "network"), "1", InternetHandle="0x00cc0008", BytesRead="64"),
        call(clock, ("NtWriteFile", "filesystem"), "0x00000000", FileName=save, Length="64"),
        call(clock, ("ShellExecuteExW", "process"), "1", FilePath=save, Parameters="", Show="0"),
    ]
    procs = [{"process_id": 1876, "process_name": info["name"], "parent_id": 4012, "module_path": image,
              "first_seen": "2024-03-12 11:30:00,204", "calls": calls,
              "environ": {"CommandLine": f'"{image}"', "UserName": USER, "ComputerName": HOST}}]
    network = {
        "hosts": [{"ip": ip, "country_name": "", "hostname": host, "inaddrarpa": "", "ports": [80]}],
        "domains": [{"domain": host, "ip": ip}],
        "dns": [{"request": host, "type": "A", "answers": [{"type": "A", "data": ip}]}],
        "http": [{"count": 1, "host": host, "port": 80, "uri": val(f, "URL1"), "method": "GET",
                  "path": "/img/logo.gif", "user-agent": ua, "version": "1.1", "body": "",
                  "data": f"GET /img/logo.gif HTTP/1.1\r\nUser-Agent: {ua}\r\nHost: {host}\r\n\r\n"}],
        "tcp": [{"src": GUEST_IP, "sport": 49802, "dst": ip, "dport": 80, "offset": 1544, "time": 0.98}],
        "udp": [{"src": GUEST_IP, "sport": 60122, "dst": DNS_IP, "dport": 53, "offset": 1200, "time": 0.91}],
        "pcap_sha256": hashlib.sha256(b"fetchbird-v2-dump.pcap").hexdigest(),
    }
    sigs = [
        {"name": "downloader_cabby", "description": "Downloads a file and executes it", "severity": 3,
         "confidence": 80, "categories": ["downloader"], "families": [], "ttp": ["T1105"],
         "data": [{"url": val(f, "URL1")}, {"file": save}]},
        {"name": "network_http", "description": "Performs some HTTP requests", "severity": 2, "confidence": 100,
         "categories": ["network"], "families": [], "ttp": ["T1071.001"], "data": [{"url": val(f, "URL1")}]},
        {"name": "masquerade_extension", "description": "Downloads an executable disguised as an image",
         "severity": 3, "confidence": 60, "categories": ["stealth"], "families": [], "ttp": ["T1036"],
         "data": [{"uri": "/img/logo.gif"}]},
    ]
    dropped = [{"name": [os.path.basename(save)], "path": f"/opt/CAPEv2/storage/analyses/1188/files/{os.path.basename(save)}",
                "guest_paths": [save], "size": 64, "type": "MS-DOS executable",
                "sha256": hashlib.sha256(b"MZ\x90\x00" + b"\x00" * 60).hexdigest()}]
    text = cape_report(f, procs, [save], [save], [], [], [val(f, "MUTEX")], [], [], network, sigs, dropped, 1188,
                       clock, [])
    iocs = [ioc("sha256", info["sha256"]), ioc("md5", info["md5"]), ioc("url", val(f, "URL1")),
            ioc("domain", host), ioc("ipv4", ip), ioc("user_agent", ua),
            ioc("file_path", save, json_raw(save)), ioc("mutex", val(f, "MUTEX"))]
    events = [
        {"type": "process", "pid": 1876, "image": info["name"], "match": [info["name"]]},
        {"type": "mutex", "name": val(f, "MUTEX"), "match": [val(f, "MUTEX")]},
        {"type": "http_request", "url": val(f, "URL1"), "user_agent": ua, "match": [val(f, "URL1")]},
        {"type": "file_write", "path": save, "match": [json_raw(save)]},
        {"type": "process_exec", "path": save, "match": ['"ShellExecuteExW"']},
        {"type": "dns_query", "qname": host, "answers": [ip], "match": [f'"request": "{host}"']},
    ] + [{"type": "signature", "name": s["name"], "ttp": s["ttp"], "match": [f'"name": "{s["name"]}"']}
         for s in sigs]
    return text, events, iocs, [f["path"]]


# ==================================================================================================
# Procmon CSV (lockjaw v1)

def scenario_procmon():
    clock = Clock(13 * 3600 * 1000 + 5 * 60 * 1000)
    lj = cfg("lockjaw", "v1")
    info = sample_info(lj)
    image = DOWNLOADS + "\\" + info["name"]
    name = info["name"]
    pid = 6132
    rows = []
    events = []

    def tod():
        t = clock.tick(2)
        s, ms = divmod(t, 1000)
        hh, rem = divmod(s, 3600)
        mm, ss = divmod(rem, 60)
        h12 = hh % 12 or 12
        return f"{h12}:{mm:02d}:{ss:02d}.{ms:03d}{(t * 7919) % 10000:04d} {'PM' if hh >= 12 else 'AM'}"

    def row(proc, p, op, path, result, detail):
        rows.append([tod(), proc, str(p), op, path, result, detail])

    row(name, pid, "Process Start", "", "SUCCESS", f"Parent PID: 4012, Command line: \"{image}\", Current directory: "
        f"{DOWNLOADS}\\, Environment: ")
    events.append({"type": "process_start", "image": image, "match": ["Process Start"]})
    row(name, pid, "Load Image", image, "SUCCESS", "Image Base: 0x7ff6a1c20000, Image Size: 0xb000")
    row(name, pid, "Load Image", r"C:\Windows\System32\advapi32.dll", "SUCCESS",
        "Image Base: 0x7ffb1e4a0000, Image Size: 0xaf000")
    row(name, pid, "RegOpenKey", r"HKLM\SOFTWARE\Microsoft\Cryptography\Defaults\Provider\Microsoft Enhanced RSA and "
        "AES Cryptographic Provider", "SUCCESS", "Desired Access: Read")
    events.append({"type": "registry_open", "match": ["Microsoft Enhanced RSA and AES Cryptographic Provider"]})
    for cmd in (val(lj, "VSS_CMD"), val(lj, "BCD_CMD"), val(lj, "WBADMIN_CMD")):
        row(name, pid, "Process Create", r"C:\Windows\System32\cmd.exe", "SUCCESS",
            f"PID: {pid + 212}, Command line: {cmd}")
        events.append({"type": "process_create", "command_line": cmd, "match": [cmd]})
    vss = r"C:\Windows\System32\vssadmin.exe"
    row("cmd.exe", pid + 212, "Process Create", vss, "SUCCESS",
        f"PID: {pid + 340}, Command line: vssadmin.exe  delete shadows /all /quiet")
    row("vssadmin.exe", pid + 340, "Process Start", "", "SUCCESS",
        f"Parent PID: {pid + 212}, Command line: vssadmin.exe  delete shadows /all /quiet, Current directory: "
        f"{DOWNLOADS}\\, Environment: ")
    events.append({"type": "process_start", "image": vss, "match": ["vssadmin.exe  delete shadows /all /quiet"]})
    note = "C:\\" + val(lj, "NOTE_NAME")
    row(name, pid, "CreateFile", note, "SUCCESS", "Desired Access: Generic Write, Read Attributes, Disposition: "
        "OverwriteIf, Options: Synchronous IO Non-Alert, Non-Directory File, Attributes: N, ShareMode: None, "
        "AllocationSize: 0, OpenResult: Created")
    row(name, pid, "WriteFile", note, "SUCCESS", "Offset: 0, Length: 382, Priority: Normal")
    row(name, pid, "CloseFile", note, "SUCCESS", "")
    events.append({"type": "file_create", "path": note, "match": [note]})
    docs = [r"C:\Users\alice\Documents\q3-report.docx", r"C:\Users\alice\Documents\budget-2024.xlsx",
            r"C:\Users\alice\Pictures\holiday.jpg"]
    row(name, pid, "QueryDirectory", "C:\\Users\\alice\\Documents\\*", "SUCCESS",
        "Filter: *, 1: ., 2: .., 3: budget-2024.xlsx, 4: q3-report.docx")
    events.append({"type": "directory_enum", "match": ["QueryDirectory"]})
    for d in docs:
        row(name, pid, "CreateFile", d, "SUCCESS", "Desired Access: Generic Read/Write, Disposition: Open, Options: "
            "Synchronous IO Non-Alert, Non-Directory File, Attributes: n/a, ShareMode: None, AllocationSize: n/a, "
            "OpenResult: Opened")
        row(name, pid, "ReadFile", d, "SUCCESS", "Offset: 0, Length: 4,096, Priority: Normal")
        row(name, pid, "WriteFile", d, "SUCCESS", "Offset: 0, Length: 4,096, Priority: Normal")
        row(name, pid, "CloseFile", d, "SUCCESS", "")
        row(name, pid, "SetRenameInformationFile", d, "SUCCESS",
            f"ReplaceIfExists: False, FileName: {d}{val(lj, 'EXT')}")
        events.append({"type": "file_rename", "path": d, "new_path": d + val(lj, "EXT"),
                       "match": [d + val(lj, "EXT")]})
    row(name, pid, "Process Exit", "", "SUCCESS", "Exit Status: 0, User Time: 0.0468750 seconds, Kernel Time: "
        "0.1093750 seconds, Private Bytes: 1,392,640, Peak Private Bytes: 1,511,424, Working Set: 6,238,208, "
        "Peak Working Set: 6,242,304")
    events.append({"type": "process_exit", "match": ["Process Exit"]})

    def q(s):
        return '"' + s.replace('"', '""') + '"'
    header = ["Time of Day", "Process Name", "PID", "Operation", "Path", "Result", "Detail"]
    text = "\ufeff" + "\r\n".join(",".join(q(c) for c in r) for r in [header] + rows) + "\r\n"
    iocs = [ioc("file_path", image), ioc("file_name", val(lj, "NOTE_NAME")), ioc("file_path", note),
            ioc("command", val(lj, "VSS_CMD")), ioc("command", val(lj, "BCD_CMD")),
            ioc("command", val(lj, "WBADMIN_CMD")), ioc("string", val(lj, "EXT"))]
    return text, events, iocs, [lj["path"]]


# ==================================================================================================
# regshot (ashdrop v2 + shroud... ashdrop v2 only)

def scenario_regshot():
    a = cfg("ashdrop", "v2")
    drop = expand(val(a, "DROP_PATH"))
    ddir = expand(val(a, "DROP_DIR"))
    run_key = HKU + "\\" + val(a, "RUN_KEY")
    run_data = val(a, "RUN_DATA_FMT").replace("%s", drop)
    mru = HKU + r"\Software\Microsoft\Windows\CurrentVersion\Explorer\RecentDocs\.exe"
    lines = [
        "Regshot 1.9.0 x64 Unicode",
        "Comments: ashdrop_v2_x86.exe, 3 minutes",
        "Datetime: 2024/3/12 14:20:11 , 2024/3/12 14:23:40",
        f"Computer: {HOST} , {HOST}",
        f"Username: {USER} , {USER}",
        "",
        "----------------------------------",
        "Keys added: 1",
        "----------------------------------",
        mru,
        "",
        "----------------------------------",
        "Values added: 2",
        "----------------------------------",
        f'{run_key}\\{val(a, "RUN_VALUE")}: "{run_data}"',
        f"{mru}\\0: 61 00 73 00 68 00 64 00 72 00 6F 00 70 00 5F 00 76 00 32 00 00 00",
        "",
        "----------------------------------",
        "Values modified: 1",
        "----------------------------------",
        r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\LastUsedUsername: " + f'"{USER}"',
        r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\LastUsedUsername: " + f'"{USER}"',
        "",
        "----------------------------------",
        "Folders added: 1",
        "----------------------------------",
        ddir,
        "",
        "----------------------------------",
        "Files added: 1",
        "----------------------------------",
        drop,
        "",
        "----------------------------------",
        "Files [attributes?] modified: 1",
        "----------------------------------",
        r"C:\Users\alice\AppData\Local\Microsoft\Windows\Explorer\iconcache_48.db",
        "",
        "----------------------------------",
        "Total changes: 7",
        "----------------------------------",
        "",
    ]
    text = "\r\n".join(lines)
    events = [
        {"type": "registry_key_added", "key": mru, "match": [mru]},
        {"type": "registry_value_added", "key": f"{run_key}\\{val(a, 'RUN_VALUE')}", "data": run_data,
         "match": [f"{run_key}\\{val(a, 'RUN_VALUE')}"]},
        {"type": "registry_value_added", "key": mru + "\\0", "match": [mru + "\\0:"]},
        {"type": "registry_value_modified", "key": "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\"
         "LastUsedUsername", "match": ["LastUsedUsername"]},
        {"type": "folder_added", "path": ddir, "match": [ddir]},
        {"type": "file_added", "path": drop, "match": [drop]},
        {"type": "file_modified", "path": r"C:\Users\alice\AppData\Local\Microsoft\Windows\Explorer\iconcache_48.db",
         "match": ["iconcache_48.db"]},
    ]
    iocs = [ioc("registry_value", f"HKCU\\{val(a, 'RUN_KEY')}\\{val(a, 'RUN_VALUE')}",
                f"{run_key}\\{val(a, 'RUN_VALUE')}"),
            ioc("command", run_data), ioc("file_path", drop), ioc("file_path", ddir)]
    return text, events, iocs, [a["path"]]


# ==================================================================================================
# analyst report with defanged indicators

def defang(s):
    s = s.replace("https://", "hxxps://").replace("http://", "hxxp://").replace("stratum+tcp://", "stratum+tcp[:]//")
    s = s.replace("@", "[@]")
    out = []
    for part in s.split("/"):
        out.append(part.replace(".", "[.]") if "." in part and not part.startswith("%") else part)
    return "/".join(out)


def defang_ip(ip):
    if ":" in ip:
        return ip.replace("::", "[::]", 1) if "::" in ip else ip
    a, b, c, d = ip.split(".")
    return f"{a}.{b}.{c}[.]{d}"


def scenario_report():
    a1, a3 = cfg("ashdrop", "v1"), cfg("ashdrop", "v3")
    f1, f2, f3 = cfg("fetchbird", "v1"), cfg("fetchbird", "v2"), cfg("fetchbird", "v3")
    lj = cfg("lockjaw", "v1")
    iocs, events = [], []

    def net(t, value):
        raw = defang(value) if t in ("url", "domain", "email") else defang_ip(value)
        iocs.append(ioc(t, value.lower() if t == "domain" else value, raw))
        return raw

    lines = [
        "TLP:CLEAR  -  Example CERT analyst note 2024-031",
        "Subject: ASHDROP droppers delivering FETCHBIRD downloaders, LOCKJAW follow-up",
        "Author: Example CERT malware analysis team",
        "Date: 2024-03-14",
        "",
        "1. Summary",
        "",
        "Between 11 and 13 March 2024 we observed phishing mails carrying ASHDROP droppers. The dropper",
        "writes a DLL from its ADRPAYLOAD resource under the user profile, persists it with a Run key and",
        "starts it with rundll32. The second stage beacons over HTTP(S); in two cases it fetched FETCHBIRD,",
        "which downloaded LOCKJAW ransomware. Indicators below are defanged.",
        "",
        "2. Samples (SHA-256)",
        "",
    ]
    for v in (a1, a3, f1, f2, lj):
        info = sample_info(v)
        lines.append(f"  {info['sha256']}  {v['file']}  ({spec.FAMILIES[v['family']]['kind']})")
        iocs.append(ioc("sha256", info["sha256"]))
        events.append({"type": "sample", "sha256": info["sha256"], "family": v["family"], "match": [info["sha256"]]})
    lines += ["", "3. Network indicators", ""]
    for v, key in ((a1, "C2_URL"), (a3, "C2_URL"), (f1, "URL1"), (f1, "URL2"), (f2, "URL1"), (f2, "URL2"),
                   (f3, "URL1"), (lj, "PAY_URL")):
        raw = net("url", val(v, key))
        lines.append(f"  {raw:<64} {v['family']} {v['variant']}")
    lines.append("")
    for d in ("cdn.ashdrop.example.com", "telemetry.ashdrop.example.org", "files.fetchbird.example.net",
              "cdn.fetchbird.example.com", "dl.fetchbird.example.org"):
        lines.append(f"  domain  {net('domain', d)}")
    for ip in ("198.51.100.23", "203.0.113.77", "203.0.113.10"):
        lines.append(f"  ip      {net('ipv4', ip)}")
    lines.append(f"  ip      {net('ipv6', '2001:db8:fe7c::17')}  (IPv6 fallback of fetchbird v3)")
    lines.append(f"  mail    {net('email', val(lj, 'EMAIL'))}  (ransom contact)")
    events.append({"type": "section", "name": "network", "match": ["3. Network indicators"]})
    run = "HKCU\\" + val(a1, "RUN_KEY")
    lines += ["", "4. Host indicators", "",
              f"  Run key      {run}",
              f"    values     {val(a1, 'RUN_VALUE')}, {val(a3, 'RUN_VALUE')}",
              f"  Files        {val(a1, 'DROP_PATH')}",
              f"               {val(a3, 'DROP_PATH')}",
              f"               {val(f1, 'SAVE_PATH')}",
              f"  Mutexes      {val(a1, 'MUTEX')}, {val(a3, 'MUTEX')}, {val(f1, 'MUTEX')}, {val(lj, 'MUTEX')}",
              f"  Ransom note  {val(lj, 'NOTE_NAME')}, extension {val(lj, 'EXT')}",
              f"  Wallet       {val(lj, 'WALLET')}",
              f"  Command      {val(lj, 'VSS_CMD')}",
              ""]
    iocs += [ioc("registry_key", run), ioc("registry_value", run + "\\" + val(a1, "RUN_VALUE"), val(a1, "RUN_VALUE")),
             ioc("registry_value", run + "\\" + val(a3, "RUN_VALUE"), val(a3, "RUN_VALUE")),
             ioc("file_path", val(a1, "DROP_PATH")), ioc("file_path", val(a3, "DROP_PATH")),
             ioc("file_path", val(f1, "SAVE_PATH")), ioc("mutex", val(a1, "MUTEX")), ioc("mutex", val(a3, "MUTEX")),
             ioc("mutex", val(f1, "MUTEX")), ioc("mutex", val(lj, "MUTEX")), ioc("file_name", val(lj, "NOTE_NAME")),
             ioc("wallet", val(lj, "WALLET")), ioc("command", val(lj, "VSS_CMD"))]
    events.append({"type": "section", "name": "host", "match": ["4. Host indicators"]})
    ttps = [("T1566.001", "Phishing: Spearphishing Attachment"),
            ("T1547.001", "Registry Run Keys / Startup Folder"), ("T1218.011", "Rundll32"),
            ("T1027.013", "Encrypted/Encoded File (ashdrop v3 resource)"), ("T1105", "Ingress Tool Transfer"),
            ("T1071.001", "Web Protocols"), ("T1486", "Data Encrypted for Impact"),
            ("T1490", "Inhibit System Recovery")]
    lines += ["5. ATT&CK", ""] + [f"  {t}  {n}" for t, n in ttps] + [""]
    for t, n in ttps:
        events.append({"type": "technique", "id": t, "match": [t]})
    lines += ["6. Recommendations", "",
              "  Block the domains and addresses above at the proxy, hunt for the Run values and mutexes,",
              "  and restore encrypted hosts from offline backups; do not pay.", ""]
    return "\n".join(lines), events, iocs, [a1["path"], a3["path"], f1["path"], f2["path"], lj["path"]]


# ==================================================================================================
# A benign session: an ordinary user's afternoon on the same guest (Sysmon, Security, System), the
# negative set of the Sigma closed loop (spoor's generated Sigma rules must not fire on it).

def scenario_benign():
    """alice logs on, reads mail in the browser, edits a document, installs an editor she downloaded;
    OneDrive, Edge's updater, Defender and Windows Update do what they do every day."""
    Proc._next_pid = 6900
    clock = Clock(14 * 3600 * 1000 + 2 * 60 * 1000 + 11 * 1000 + 480)
    ev = []

    def add(kind, proc, **kw):
        clock.tick(kw.pop("dt", 53))
        ev.append(dict(kind=kind, proc=proc, t=clock.t, **kw))

    ms = dict(company="Microsoft Corporation", product="Microsoft\u00ae Windows\u00ae Operating System")

    def hashes(label):
        return ("MD5=" + hashlib.md5(label.encode()).hexdigest().upper() + ",SHA256=" +
                hashlib.sha256(label.encode()).hexdigest().upper())

    winlogon = Proc(r"C:\Windows\System32\winlogon.exe", "winlogon.exe", None, desc="Windows Logon Application",
                    orig="WINLOGON.EXE", integrity="System", **ms)
    winlogon.pid, winlogon.guid = 668, guid("benign:winlogon")
    services = Proc(r"C:\Windows\System32\services.exe", r"C:\Windows\system32\services.exe", None,
                    desc="Services and Controller app", orig="services.exe", integrity="System", **ms)
    services.pid, services.guid = 712, guid("benign:services")
    userinit = Proc(r"C:\Windows\System32\userinit.exe", r"C:\Windows\system32\userinit.exe", winlogon,
                    desc="Userinit Logon Application", orig="USERINIT.EXE", hashes=hashes("userinit"), **ms)
    add("process", userinit)
    explorer = Proc(r"C:\Windows\explorer.exe", r"C:\Windows\Explorer.EXE", userinit, desc="Windows Explorer",
                    orig="EXPLORER.EXE", hashes=hashes("explorer"), **ms)
    add("process", explorer)
    onedrive_exe = r"C:\Users\alice\AppData\Local\Microsoft\OneDrive\OneDrive.exe"
    onedrive = Proc(onedrive_exe, f'"{onedrive_exe}" /background', explorer, desc="Microsoft OneDrive",
                    company="Microsoft Corporation", product="Microsoft OneDrive", orig="OneDrive.exe",
                    hashes=hashes("onedrive"))
    add("process", onedrive, dt=900)
    run_key = HKU + r"\Software\Microsoft\Windows\CurrentVersion\Run\OneDrive"
    add("reg_set_value", onedrive, key=run_key, data=f'"{onedrive_exe}" /background')
    add("dns", onedrive, qname="sync.example.net", answer="198.51.100.140")
    add("connect", onedrive, dst="198.51.100.140", dport=443, host="sync.example.net", sport=50112)
    edge_exe = r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe"
    edge = Proc(edge_exe, f'"{edge_exe}" --profile-directory=Default', explorer, desc="Microsoft Edge",
                company="Microsoft Corporation", product="Microsoft Edge", orig="msedge.exe",
                hashes=hashes("msedge"))
    add("process", edge, dt=4200)
    add("image_load", edge, image=r"C:\Windows\System32\wininet.dll", signed=True)
    for host, ip, port in (("www.example.com", "198.51.100.150", 50131), ("mail.example.org", "198.51.100.151", 50133),
                           ("downloads.example.net", "198.51.100.152", 50140)):
        add("dns", edge, qname=host, answer=ip, dt=700)
        add("connect", edge, dst=ip, dport=443, host=host, sport=port)
    installer = DOWNLOADS + r"\texteditor-8.6.4-setup-x64.exe"
    add("file_create", edge, path=installer, dt=2600)
    word_exe = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
    doc = r"C:\Users\alice\Documents\Quarterly report.docx"
    word = Proc(word_exe, f'"{word_exe}" /n "{doc}"', explorer, desc="Microsoft Word",
                company="Microsoft Corporation", product="Microsoft Office", orig="WinWord.exe",
                hashes=hashes("winword"))
    add("process", word, dt=5200)
    add("file_create", word, path=r"C:\Users\alice\Documents\~$arterly report.docx")
    add("file_create", word, path=r"C:\Users\alice\AppData\Local\Temp\~DF3A1B2C4D5E6F7081.TMP", dt=300)
    add("reg_set_value", word, key=HKU + r"\Software\Microsoft\Office\16.0\Word\Reading Locations\Document 0\File Path",
        data=doc, dt=200)
    setup = Proc(installer, f'"{installer}"', explorer, desc="TextEditor installer", company="TextEditor Project",
                 product="TextEditor", orig="setup.exe", hashes=hashes("texteditor-setup"), integrity="High")
    add("process", setup, dt=8100)
    editor_dir = r"C:\Program Files\TextEditor"
    add("file_create", setup, path=editor_dir + r"\texteditor.exe")
    add("file_create", setup, path=editor_dir + r"\uninstall.exe", dt=90)
    add("reg_create_key", setup, key=r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\TextEditor")
    add("reg_set_value", setup, key=r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\TextEditor\DisplayName",
        data="TextEditor 8.6.4")
    editor = Proc(editor_dir + r"\texteditor.exe", f'"{editor_dir}\\texteditor.exe" "C:\\Users\\alice\\Desktop\\todo.txt"',
                  explorer, desc="TextEditor", company="TextEditor Project", product="TextEditor",
                  orig="texteditor.exe", hashes=hashes("texteditor"))
    add("process", editor, dt=3000)
    svchost = Proc(r"C:\Windows\System32\svchost.exe", r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
                   services, desc="Host Process for Windows Services", orig="svchost.exe", integrity="System",
                   hashes=hashes("svchost"), **ms)
    svchost.pid = 1416
    updater_exe = r"C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe"
    updater = Proc(updater_exe, f'"{updater_exe}" /ua /installsource scheduler', svchost,
                   desc="Microsoft Edge Update", company="Microsoft Corporation", product="Microsoft Edge Update",
                   orig="MicrosoftEdgeUpdate.exe", integrity="System", hashes=hashes("edgeupdate"))
    add("process", updater, dt=6000)
    add("dns", updater, qname="update.example.net", answer="198.51.100.160")
    add("connect", updater, dst="198.51.100.160", dport=443, host="update.example.net", sport=50170)
    defender_exe = r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24010.12-0\MsMpEng.exe"
    defender = Proc(defender_exe, f'"{defender_exe}"', services, desc="Antimalware Service Executable",
                    company="Microsoft Corporation", product="Microsoft Windows Defender", orig="MsMpEng.exe",
                    integrity="System", hashes=hashes("msmpeng"))
    defender.pid, defender.guid = 3096, guid("benign:msmpeng")
    add("file_create", defender, path=r"C:\ProgramData\Microsoft\Windows Defender\Scans\History\Service\DetectionHistory\00\scan.bin",
        dt=1200)
    procs = [userinit, explorer, onedrive, edge, word, setup, editor, updater]
    return procs, ev, clock


def benign_records(ev, clock):
    recs = sysmon_records(ev, clock)
    srid = [90400]
    sysrid = [21700]
    extra = []

    def add(channel, eid, t, data, task):
        if channel == "Security":
            srid[0] += 1
            rid = srid[0]
        else:
            sysrid[0] += 1
            rid = sysrid[0]
        extra.append(dict(channel=channel, eid=eid, t=t, data=data, iocs=[], match=[], rid=rid, task=task))

    t0 = ev[0]["t"] - 400
    add("Security", 4624, t0, [
        ("SubjectUserSid", "S-1-5-18"), ("SubjectUserName", HOST + "$"), ("SubjectDomainName", "WORKGROUP"),
        ("SubjectLogonId", "0x3e7"), ("TargetUserSid", SID), ("TargetUserName", USER),
        ("TargetDomainName", DOMAIN), ("TargetLogonId", "0x5b2c1"), ("LogonType", "2"),
        ("LogonProcessName", "User32 "), ("AuthenticationPackageName", "Negotiate"),
        ("WorkstationName", HOST), ("LogonGuid", "{00000000-0000-0000-0000-000000000000}"),
        ("TransmittedServices", "-"), ("LmPackageName", "-"), ("KeyLength", "0"), ("ProcessId", "0x29c"),
        ("ProcessName", r"C:\Windows\System32\svchost.exe"), ("IpAddress", "127.0.0.1"), ("IpPort", "0"),
        ("ImpersonationLevel", "%%1833"), ("RestrictedAdminMode", "-"), ("TargetOutboundUserName", "-"),
        ("TargetOutboundDomainName", "-"), ("VirtualAccount", "%%1843"), ("TargetLinkedLogonId", "0x0"),
        ("ElevatedToken", "%%1843")], 12544)
    add("System", 7036, t0 + 5200, [("param1", "Windows Update"), ("param2", "running"),
                                    ("Binary", "770075006100750073006500720076002F0034000000")], 0)
    add("System", 7040, t0 + 5900, [("param1", "Background Intelligent Transfer Service"),
                                    ("param2", "demand start"), ("param3", "auto start"), ("param4", "BITS")], 0)
    add("System", 7036, t0 + 61000, [("param1", "Windows Update"), ("param2", "stopped"),
                                     ("Binary", "770075006100750073006500720076002F0031000000")], 0)
    out = recs + extra
    out.sort(key=lambda r: r["t"])
    return out


# ==================================================================================================

def main(corpus):
    global CORPUS
    CORPUS = corpus
    Proc._next_pid = 4100
    os.makedirs(os.path.join(corpus, "expected", "logs"), exist_ok=True)

    samples, procs, ev, clock = scenario_session()
    recs = sysmon_records(ev, clock)
    paths = [v["path"] for v in samples]
    desc = ("ashdrop v1, coalpit v1 and magpie v1 run one after another on a Windows 10 guest; Sysmon 15 "
            "(Microsoft-Windows-Sysmon/Operational) and Security 4688/4698 events")

    def rec_events(raw_of):
        out = []
        for r in recs:
            e = {"channel": r["channel"], "event_id": r["eid"], "record_id": r["rid"],
                 "time": clock.iso(r["t"]), "match": [raw_of(m) for m in r["match"]]}
            out.append(e)
        return out

    xml_text = sysmon_xml(recs, clock)
    write("logs/sysmon/session-2024-03-12.xml", xml_text,
          dict(format="sysmon_xml", tool="Event Viewer 'Save All Events As' XML (Sysmon 15.14)", description=desc,
               samples=paths, events=rec_events(xml_escape), iocs=sysmon_iocs(recs, xml_escape)))
    nd = sysmon_ndjson(recs, clock)
    write("logs/sysmon/session-2024-03-12.ndjson", nd,
          dict(format="sysmon_json", tool="Winlogbeat 8.12 NDJSON output (winlog.event_data)", description=desc,
               samples=paths, events=rec_events(json_raw), iocs=sysmon_iocs(recs, json_raw)))

    data, events, iocs, samples = scenario_pcap()
    write("logs/pcap/sandbox-2024-03-12.pcap", data,
          dict(format="pcap", tool="tcpdump -w (classic libpcap, LINKTYPE_ETHERNET)",
               description="DNS, HTTP, a stratum login and TLS ClientHellos (SNI) of seven samples; DNS names are "
                           "matched in wire format (length-prefixed labels)",
               samples=samples, events=events, iocs=iocs))

    text, events, iocs, samples = scenario_cape_ashdrop()
    write("logs/cape/ashdrop_v1-report.json", text,
          dict(format="cape_report_json", tool="CAPEv2 reporting/jsondump (report.json)",
               description="CAPE analysis 1187 of ashdrop v1: drop, Run key, rundll32, HTTP beacon",
               samples=samples, events=events, iocs=iocs))
    text, events, iocs, samples = scenario_cape_fetchbird()
    write("logs/cape/fetchbird_v2-report.json", text,
          dict(format="cape_report_json", tool="CAPEv2 reporting/jsondump (report.json)",
               description="CAPE analysis 1188 of fetchbird v2: WinINet download and execution",
               samples=samples, events=events, iocs=iocs))
    text, events, iocs, samples = scenario_procmon()
    write("logs/procmon/lockjaw_v1-procmon.csv", text,
          dict(format="procmon_csv", tool="Process Monitor 3.96 File > Save > CSV (default columns)",
               description="lockjaw v1: recovery inhibition, ransom note, encryption and renaming",
               samples=samples, events=events, iocs=iocs))
    text, events, iocs, samples = scenario_regshot()
    write("logs/regshot/ashdrop_v2-regshot.txt", text,
          dict(format="regshot_txt", tool="Regshot 1.9.0 x64 Unicode, compare output (plain text)",
               description="ashdrop v2 before/after snapshot diff", samples=samples, events=events, iocs=iocs))
    procs, bev, bclock = scenario_benign()
    brecs = benign_records(bev, bclock)
    bdesc = ("an ordinary user session on the same Windows 10 guest: logon, Edge, OneDrive, Word, an editor "
             "downloaded and installed, Edge's updater, Defender, Windows Update; Sysmon, Security 4624/4688 "
             "and System 7036/7040 events; nothing malicious")

    def brec_events(raw_of):
        return [{"channel": r["channel"], "event_id": r["eid"], "record_id": r["rid"], "time": bclock.iso(r["t"]),
                 "match": [raw_of(m) for m in r["match"]]} for r in brecs]
    write("benign-logs/sysmon/benign-2024-03-12.xml", sysmon_xml(brecs, bclock),
          dict(format="sysmon_xml", tool="Event Viewer 'Save All Events As' XML (Sysmon 15.14)", description=bdesc,
               samples=[], events=brec_events(xml_escape), iocs=[]), expected="benign-logs")
    write("benign-logs/sysmon/benign-2024-03-12.ndjson", sysmon_ndjson(brecs, bclock),
          dict(format="sysmon_json", tool="Winlogbeat 8.12 NDJSON output (winlog.event_data)", description=bdesc,
               samples=[], events=brec_events(json_raw), iocs=[]), expected="benign-logs")
    text, events, iocs, samples = scenario_report()
    write("logs/reports/example-cert-2024-031.txt", text,
          dict(format="analyst_report_txt", tool="plain-text analyst note with defanged indicators",
               description="analyst note on ashdrop/fetchbird/lockjaw; 'raw' is the defanged form in the text",
               samples=samples, events=events, iocs=iocs))


if __name__ == "__main__":
    main(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(0)
