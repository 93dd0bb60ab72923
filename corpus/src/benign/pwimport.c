/* Example Password Manager importer: after the user chooses "Import from Chrome", reads Chrome's
 * Login Data and decrypts it with the user's own DPAPI key - what magpie does, with consent. */
#include <windows.h>
#include <wincrypt.h>
#include <shlobj.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "pwimport"

static int family_run(void)
{
    char local[MAX_PATH], path[MAX_PATH];
    DATA_BLOB in, out;
    BYTE buf[4096];
    DWORD got = 0;
    HANDLE f;
    if (MessageBoxA(NULL, "Import the passwords saved in Google Chrome into Example Vault?",
                    "Example Vault - Import", MB_YESNO | MB_ICONQUESTION) != IDYES)
        return 0;
    SHGetFolderPathA(NULL, CSIDL_LOCAL_APPDATA, NULL, 0, local);
    wsprintfA(path, "%s\\Google\\Chrome\\User Data\\Default\\Login Data", local);
    f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (f == INVALID_HANDLE_VALUE)
        return 1;
    ReadFile(f, buf, sizeof buf, &got, NULL);
    CloseHandle(f);
    in.pbData = buf;
    in.cbData = got;
    if (CryptUnprotectData(&in, NULL, NULL, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &out)) {
        SecureZeroMemory(out.pbData, out.cbData);
        LocalFree(out.pbData);
    }
    return 0;
}
#include "../common/winentry.h"
