/* Example network diagnostics: checks that the vendor's service answers on TCP - Winsock for an
 * honest reason. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdio.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "netprobe"

static int family_run(void)
{
    WSADATA wsa;
    struct addrinfo hints, *res = NULL;
    SOCKET s;
    int ok = 0;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
        return 1;
    ZeroMemory(&hints, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo("status.example.net", "443", &hints, &res) == 0) {
        s = socket(res->ai_family, SOCK_STREAM, IPPROTO_TCP);
        ok = s != INVALID_SOCKET && connect(s, res->ai_addr, (int)res->ai_addrlen) == 0;
        if (s != INVALID_SOCKET)
            closesocket(s);
        freeaddrinfo(res);
    }
    printf("status.example.net:443 %s\n", ok ? "reachable" : "unreachable");
    WSACleanup();
    return !ok;
}
#include "../common/winentry.h"
