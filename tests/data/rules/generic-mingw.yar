// A deliberately bad rule: its only string is a mingw-w64 runtime message that every
// program linked with the mingw CRT carries, goodware included. `spoor test` must catch it
// and name the benign files it matches.

rule SUSP_Mingw_Runtime_Message {
    meta:
        description = "too generic on purpose: a mingw-w64 CRT error message"
    strings:
        $crt = "Mingw-w64 runtime failure:" ascii
    condition:
        uint16(0) == 0x5A4D and $crt
}
