/* _start for the aarch64 corpus ELF files: the same hand-off to __libc_start_main as glibc's crt1.o
 * (argc, argv, rtld_fini, stack end), so the binaries are ordinary dynamically linked executables. */
        .text
        .globl  _start
        .type   _start, %function
_start:
        mov     x29, #0
        mov     x30, #0
        mov     x5, x0
        ldr     x1, [sp]
        add     x2, sp, #8
        mov     x6, sp
        adrp    x0, :got:main
        ldr     x0, [x0, :got_lo12:main]
        mov     x3, #0
        mov     x4, #0
        bl      __libc_start_main
        brk     #0
        .size   _start, . - _start
        .section .note.GNU-stack, "", %progbits
