// A family rule built from the wrong family's string: named for magpie, but its string is
// shroud's user agent. On the labelled corpus it misses every magpie sample and its
// matches on shroud samples are cross-family false positives.

rule MAL_Magpie_Sloppy_Nov26 {
    strings:
        $ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" ascii
    condition:
        uint16(0) == 0x5A4D and $ua
}
