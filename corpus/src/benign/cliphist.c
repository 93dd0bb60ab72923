/* Example Clipboard History: keeps the last texts the user copied, in the user's own profile -
 * OpenClipboard / GetClipboardData for an honest reason. */
#include <windows.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "cliphist"

static int family_run(void)
{
    char path[MAX_PATH];
    HANDLE data, out;
    const char *text;
    DWORD put;
    AddClipboardFormatListener(GetConsoleWindow());
    if (!OpenClipboard(NULL))
        return 1;
    data = GetClipboardData(CF_TEXT);
    ExpandEnvironmentStringsA("%APPDATA%\\Example Clipboard History\\history.txt", path, sizeof path);
    out = CreateFileA(path, FILE_APPEND_DATA, FILE_SHARE_READ, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (data && out != INVALID_HANDLE_VALUE && (text = GlobalLock(data)) != NULL) {
        WriteFile(out, text, (DWORD)lstrlenA(text), &put, NULL);
        WriteFile(out, "\r\n", 2, &put, NULL);
        GlobalUnlock(data);
    }
    if (out != INVALID_HANDLE_VALUE)
        CloseHandle(out);
    CloseClipboard();
    return 0;
}
#include "../common/winentry.h"
