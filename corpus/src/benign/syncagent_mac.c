/* Example Sync for macOS: registers its own helper as a per-user LaunchAgent - a LaunchAgent plist
 * written for an honest reason. */
#include "../common/inert.h"

typedef unsigned long size_t;
typedef struct FILE FILE;
extern char *getenv(const char *);
extern FILE *fopen(const char *, const char *);
extern int fprintf(FILE *, const char *, ...);
extern int fclose(FILE *);
extern int snprintf(char *, size_t, const char *, ...);
extern int system(const char *);

static int install(void)
{
    char path[1024], cmd[1200];
    const char *home = getenv("HOME");
    FILE *f;
    if (home == 0)
        return 1;
    snprintf(path, sizeof path, "%s/Library/LaunchAgents/org.example.syncclient.helper.plist", home);
    f = fopen(path, "w");
    if (f == 0)
        return 2;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n"
               "  <key>Label</key><string>org.example.syncclient.helper</string>\n"
               "  <key>ProgramArguments</key><array>"
               "<string>/Applications/Example Sync.app/Contents/MacOS/SyncHelper</string></array>\n"
               "  <key>RunAtLoad</key><true/>\n</dict>\n</plist>\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "launchctl load -w '%s'", path);
    return system(cmd);
}

int main(int argc, char **argv)
{
    if (!spoor_armed(argc, argv))
        return 0;
    if (spoor_never)
        return install();
    return spoor_checksum("example-syncclient");
}
