// Does not compile: the condition names a pattern the rule does not define.

rule MAL_Broken_PE_Nov26 {
    strings:
        $a = "only a test"
    condition:
        $a and $missing
}
