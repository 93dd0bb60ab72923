/* Example Sync: registers its own daily update check with the Task Scheduler, the way many updaters
 * do - schtasks /create for an honest reason. */
#include <windows.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "tasksetup"

static int family_run(void)
{
    char self[MAX_PATH], cmd[1024];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    GetModuleFileNameA(NULL, self, sizeof self);
    wsprintfA(cmd, "schtasks.exe /create /f /sc daily /st 12:30 /tn \"Example Software\\Sync Update Check\" "
                   "/tr \"\\\"%s\\\" --check-updates\"", self);
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi))
        return 1;
    WaitForSingleObject(pi.hProcess, INFINITE);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return 0;
}
#include "../common/winentry.h"
