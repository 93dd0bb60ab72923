/* Example Sync Tray setup: installs the tray program for the current user and starts it at logon
 * through the user's own Run key - the honest use of what ashdrop abuses. */
#include <windows.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "synctray_setup"

static int family_run(void)
{
    char self[MAX_PATH], dir[MAX_PATH], target[MAX_PATH], value[MAX_PATH + 16];
    HKEY key;
    HANDLE one = CreateMutexA(NULL, TRUE, "Local\\ExampleSyncTraySetup");
    if (one == NULL || GetLastError() == ERROR_ALREADY_EXISTS)
        return 1;
    if (MessageBoxA(NULL, "Install Example Sync Tray for this user?", "Example Sync Tray Setup",
                    MB_YESNO | MB_ICONQUESTION) != IDYES)
        return 0;
    GetModuleFileNameA(NULL, self, sizeof self);
    ExpandEnvironmentStringsA("%LOCALAPPDATA%\\Programs\\Example Sync Tray", dir, sizeof dir);
    CreateDirectoryA(dir, NULL);
    wsprintfA(target, "%s\\synctray.exe", dir);
    CopyFileA(self, target, FALSE);
    wsprintfA(value, "\"%s\" --minimized", target);
    if (RegCreateKeyExA(HKEY_CURRENT_USER, "Software\\Microsoft\\Windows\\CurrentVersion\\Run", 0, NULL,
                        0, KEY_SET_VALUE, NULL, &key, NULL) == ERROR_SUCCESS) {
        RegSetValueExA(key, "ExampleSyncTray", 0, REG_SZ, (const BYTE *)value, (DWORD)lstrlenA(value) + 1);
        RegCloseKey(key);
    }
    if (RegCreateKeyExA(HKEY_CURRENT_USER,
                        "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\ExampleSyncTray", 0,
                        NULL, 0, KEY_SET_VALUE, NULL, &key, NULL) == ERROR_SUCCESS) {
        RegSetValueExA(key, "DisplayName", 0, REG_SZ, (const BYTE *)"Example Sync Tray", 18);
        RegSetValueExA(key, "Publisher", 0, REG_SZ, (const BYTE *)"Example Software Ltd", 21);
        RegCloseKey(key);
    }
    return 0;
}
#include "../common/winentry.h"
