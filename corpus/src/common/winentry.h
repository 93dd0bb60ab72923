/* winentry.h - the entry points of the Windows corpus programs.
 * Include last, after `static int family_run(void)` is defined.  An EXE returns at once unless
 * spoor_armed(); a DLL's DllMain does nothing and its rundll32-style export `Start` returns at once
 * unless its command line is SPOOR_MAGIC.  family_run() is reachable only through spoor_never. */
#ifndef SPOOR_WINENTRY_H
#define SPOOR_WINENTRY_H

#ifdef CFG_KIND_DLL
BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
    (void)inst;
    (void)reason;
    (void)reserved;
    return TRUE;
}

__declspec(dllexport) void CALLBACK Start(HWND hwnd, HINSTANCE inst, LPSTR cmdline, int show)
{
    (void)hwnd;
    (void)inst;
    (void)show;
    if (!spoor_streq(cmdline, SPOOR_MAGIC))
        return;
    if (spoor_never)
        family_run();
}
#else
int main(int argc, char **argv)
{
    if (!spoor_armed(argc, argv))
        return 0;
    if (spoor_never)
        return family_run();
    return spoor_checksum(CFG_FAMILY CFG_VARIANT);
}
#endif

#endif
