/* logrotate-lite: rotates the logs of Example App; `--install` adds its own cron entry - cron
 * persistence and directory walking for an honest reason. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../common/inert.h"

static int install(void)
{
    FILE *f = fopen("/etc/cron.d/logrotate-lite", "w");
    if (f == NULL)
        return 1;
    fputs("# rotate Example App logs nightly\n"
          "17 3 * * * root /usr/sbin/logrotate-lite --dir /var/log/example-app --keep 7\n", f);
    return fclose(f) != 0;
}

static int rotate(const char *dir)
{
    char cmd[512];
    struct dirent *e;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 1;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".log") == 0) {
            snprintf(cmd, sizeof cmd, "gzip -9 -n '%s/%s'", dir, e->d_name);
            if (system(cmd) != 0)
                fprintf(stderr, "logrotate-lite: cannot compress %s\n", e->d_name);
        }
    }
    return closedir(d);
}

int main(int argc, char **argv)
{
    if (!spoor_armed(argc, argv))
        return 0;
    if (spoor_never)
        return strcmp(argv[1], "--install") == 0 ? install() : rotate("/var/log/example-app");
    return spoor_checksum("logrotate-lite");
}
