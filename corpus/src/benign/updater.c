/* Example Sync updater: asks the vendor's update server for the latest version and downloads the
 * signed installer (WinHTTP with UTF-16 strings, or URLDownloadToFile in the x86 build). */
#include <windows.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "updater"
#ifdef UPDATER_URLMON
#include <urlmon.h>

static int family_run(void)
{
    char path[MAX_PATH];
    ExpandEnvironmentStringsA("%TEMP%\\ExampleSyncSetup-3.2.1.exe", path, sizeof path);
    if (URLDownloadToFileA(NULL, "https://downloads.example.com/sync/ExampleSyncSetup-3.2.1.exe", path, 0,
                           NULL) != S_OK)
        return 1;
    ShellExecuteA(NULL, "open", path, "/S /update", NULL, SW_SHOWNORMAL);
    return 0;
}
#else
#include <winhttp.h>

static int family_run(void)
{
    HINTERNET ses, con, req;
    char buf[2048];
    DWORD got = 0;
    ses = WinHttpOpen(L"ExampleSyncUpdater/3.2.1", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, 0);
    if (ses == NULL)
        return 1;
    con = WinHttpConnect(ses, L"updates.example.com", INTERNET_DEFAULT_HTTPS_PORT, 0);
    req = con ? WinHttpOpenRequest(con, L"GET", L"/sync/stable/latest.json", NULL, WINHTTP_NO_REFERER,
                                   WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_SECURE) : NULL;
    if (req && WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
        WinHttpReceiveResponse(req, NULL))
        WinHttpReadData(req, buf, sizeof buf - 1, &got);
    if (req)
        WinHttpCloseHandle(req);
    if (con)
        WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return got == 0;
}
#endif
#include "../common/winentry.h"
