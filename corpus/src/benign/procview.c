/* Example Process Viewer: lists processes with their working set, like Task Manager's details tab -
 * CreateToolhelp32Snapshot, OpenProcess and ReadProcessMemory for an honest reason. */
#include <windows.h>
#include <tlhelp32.h>
#include <psapi.h>
#include <stdio.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "procview"

static int family_run(void)
{
    PROCESSENTRY32 pe;
    PROCESS_MEMORY_COUNTERS pmc;
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0), proc;
    BYTE peb[16];
    SIZE_T got;
    if (snap == INVALID_HANDLE_VALUE)
        return 1;
    pe.dwSize = sizeof pe;
    printf("%-8s %-32s %12s\n", "PID", "Image", "Working set");
    if (Process32First(snap, &pe)) {
        do {
            proc = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, FALSE, pe.th32ProcessID);
            pmc.WorkingSetSize = 0;
            if (proc) {
                GetProcessMemoryInfo(proc, &pmc, sizeof pmc);
                ReadProcessMemory(proc, (LPCVOID)0x7ffe0000, peb, sizeof peb, &got);
                CloseHandle(proc);
            }
            printf("%-8lu %-32s %12lu KiB\n", pe.th32ProcessID, pe.szExeFile,
                   (unsigned long)(pmc.WorkingSetSize / 1024));
        } while (Process32Next(snap, &pe));
    }
    CloseHandle(snap);
    return 0;
}
#include "../common/winentry.h"
