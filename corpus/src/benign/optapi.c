/* Example app start-up: uses newer Windows APIs only where they exist, resolving them with
 * GetProcAddress - dynamic API resolution for an honest reason. */
#include <windows.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "optapi"

typedef HRESULT(WINAPI *fn_SetProcessDpiAwareness)(int);
typedef HRESULT(WINAPI *fn_SetThreadDescription)(HANDLE, PCWSTR);

static int family_run(void)
{
    HMODULE shcore = LoadLibraryA("shcore.dll");
    fn_SetThreadDescription std =
        (fn_SetThreadDescription)(void *)GetProcAddress(GetModuleHandleA("kernel32.dll"), "SetThreadDescription");
    if (shcore) {
        fn_SetProcessDpiAwareness dpi =
            (fn_SetProcessDpiAwareness)(void *)GetProcAddress(shcore, "SetProcessDpiAwareness");
        if (dpi)
            dpi(2);
    }
    if (std)
        std(GetCurrentThread(), L"Example UI thread");
    return 0;
}
#include "../common/winentry.h"
