/* Example crash reporter: when the app crashes it writes a minidump and, with the user's consent,
 * uploads it to the vendor.  It skips reporting under a debugger - IsDebuggerPresent and timing
 * for an honest reason. */
#include <windows.h>
#include <wininet.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "crashreport"

static int family_run(void)
{
    LARGE_INTEGER t0, t1, f;
    HINTERNET net, con, req;
    char dump[MAX_PATH];
    if (IsDebuggerPresent()) {
        OutputDebugStringA("crashreport: debugger attached, not reporting\n");
        return 0;
    }
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t0);
    ExpandEnvironmentStringsA("%LOCALAPPDATA%\\Example Sync\\CrashDumps\\last.dmp", dump, sizeof dump);
    QueryPerformanceCounter(&t1);
    if (MessageBoxA(NULL, "Example Sync closed unexpectedly. Send the crash report?", "Example Sync",
                    MB_YESNO) != IDYES)
        return 0;
    net = InternetOpenA("ExampleCrashReporter/1.4", INTERNET_OPEN_TYPE_PRECONFIG, NULL, NULL, 0);
    con = net ? InternetConnectA(net, "crash.example.org", INTERNET_DEFAULT_HTTPS_PORT, NULL, NULL,
                                 INTERNET_SERVICE_HTTP, 0, 0) : NULL;
    req = con ? HttpOpenRequestA(con, "POST", "/submit", NULL, NULL, NULL, INTERNET_FLAG_SECURE, 0) : NULL;
    if (req) {
        HttpSendRequestA(req, "Content-Type: application/octet-stream\r\n", (DWORD)-1, dump,
                         (DWORD)lstrlenA(dump));
        InternetCloseHandle(req);
    }
    if (con)
        InternetCloseHandle(con);
    if (net)
        InternetCloseHandle(net);
    return (int)((t1.QuadPart - t0.QuadPart) & 1);
}
#include "../common/winentry.h"
