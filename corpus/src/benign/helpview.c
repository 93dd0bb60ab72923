/* Example Help Viewer: its help text ships gzip-compressed in an RCDATA resource (high entropy, and
 * benign). */
#include <windows.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "helpview"

static int family_run(void)
{
    HRSRC r = FindResourceA(NULL, "HELPDATA", (LPCSTR)RT_RCDATA);
    DWORD n = r ? SizeofResource(NULL, r) : 0;
    const BYTE *p = r ? LockResource(LoadResource(NULL, r)) : NULL;
    char msg[96];
    wsprintfA(msg, "Example Help: %lu compressed bytes, first byte %02x", n, p ? p[0] : 0);
    MessageBoxA(NULL, msg, "Example Help", MB_OK);
    return 0;
}
#include "../common/winentry.h"
