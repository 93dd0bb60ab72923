/* Example Sync shell extension: a COM DLL whose DllRegisterServer writes its own CLSID under the
 * user's classes key - a DLL writing registry keys for an honest reason. */
#include <windows.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "shellext"

static HINSTANCE self;

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH)
        self = inst;
    return TRUE;
}

__declspec(dllexport) HRESULT WINAPI DllRegisterServer(void)
{
    char path[MAX_PATH];
    HKEY key;
    if (!spoor_never)
        return S_OK; /* corpus guard: registration is never performed */
    GetModuleFileNameA(self, path, sizeof path);
    if (RegCreateKeyExA(HKEY_CURRENT_USER,
                        "Software\\Classes\\CLSID\\{3F2A7C10-5B8E-4D21-9C64-0E1F2A3B4C5D}\\InprocServer32",
                        0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL) != ERROR_SUCCESS)
        return E_FAIL;
    RegSetValueExA(key, NULL, 0, REG_SZ, (const BYTE *)path, (DWORD)lstrlenA(path) + 1);
    RegSetValueExA(key, "ThreadingModel", 0, REG_SZ, (const BYTE *)"Apartment", 10);
    RegCloseKey(key);
    return S_OK;
}

__declspec(dllexport) HRESULT WINAPI DllUnregisterServer(void)
{
    if (!spoor_never)
        return S_OK;
    RegDeleteTreeA(HKEY_CURRENT_USER, "Software\\Classes\\CLSID\\{3F2A7C10-5B8E-4D21-9C64-0E1F2A3B4C5D}");
    return S_OK;
}

__declspec(dllexport) HRESULT WINAPI DllCanUnloadNow(void)
{
    return S_OK;
}
