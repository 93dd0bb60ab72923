/* Example accessibility launcher: starts a program suspended and loads the vendor's own hook DLL into
 * it before it runs (like Detours' withdll) - VirtualAllocEx / WriteProcessMemory /
 * CreateRemoteThread for an honest reason, on a child it created itself. */
#include <windows.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "withhook"

static int family_run(void)
{
    char cmd[] = "notepad.exe";
    char dll[MAX_PATH];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    LPVOID remote;
    HANDLE th;
    ExpandEnvironmentStringsA("%ProgramFiles%\\Example Reader\\exreader-hook.dll", dll, sizeof dll);
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, CREATE_SUSPENDED, NULL, NULL, &si, &pi))
        return 1;
    remote = VirtualAllocEx(pi.hProcess, NULL, sizeof dll, MEM_COMMIT, PAGE_READWRITE);
    if (remote && WriteProcessMemory(pi.hProcess, remote, dll, sizeof dll, NULL)) {
        th = CreateRemoteThread(pi.hProcess, NULL, 0,
                                (LPTHREAD_START_ROUTINE)(void *)GetProcAddress(GetModuleHandleA("kernel32.dll"),
                                                                              "LoadLibraryA"),
                                remote, 0, NULL);
        if (th) {
            WaitForSingleObject(th, 5000);
            CloseHandle(th);
        }
    }
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return 0;
}
#include "../common/winentry.h"
