/* Example display-driver installer: detects VirtualBox and VMware guests to pick the right driver
 * package - VM artefact checks for an honest reason. */
#include <windows.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "vmdriver"

static int family_run(void)
{
    HKEY key;
    const char *pkg = "physical";
    if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, "HARDWARE\\ACPI\\DSDT\\VBOX__", 0, KEY_READ, &key) == ERROR_SUCCESS) {
        pkg = "virtualbox";
        RegCloseKey(key);
    } else if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, "SOFTWARE\\VMware, Inc.\\VMware Tools", 0, KEY_READ, &key) ==
               ERROR_SUCCESS) {
        pkg = "vmware";
        RegCloseKey(key);
    }
    MessageBoxA(NULL, pkg, "Example Display Driver Setup - package", MB_OK);
    return 0;
}
#include "../common/winentry.h"
