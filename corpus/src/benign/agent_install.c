/* example-agent-install: installs the Example monitoring agent as a systemd service - a systemd unit
 * written for an honest reason.  Freestanding like burrow so it builds for x86_64 and aarch64. */
#include "../common/inert.h"

typedef unsigned long size_t;
typedef struct FILE FILE;
extern FILE *fopen(const char *, const char *);
extern int fputs(const char *, FILE *);
extern int fclose(FILE *);
extern int system(const char *);

static int install(void)
{
    FILE *f = fopen("/etc/systemd/system/example-agent.service", "w");
    if (f == 0)
        return 1;
    fputs("[Unit]\nDescription=Example Monitoring Agent\nDocumentation=https://docs.example.com/agent\n"
          "After=network-online.target\n\n[Service]\nExecStart=/opt/example/agent/bin/example-agent\n"
          "User=example-agent\nRestart=on-failure\n\n[Install]\nWantedBy=multi-user.target\n", f);
    fclose(f);
    return system("systemctl daemon-reload && systemctl enable --now example-agent.service");
}

int main(int argc, char **argv)
{
    if (!spoor_armed(argc, argv))
        return 0;
    if (spoor_never)
        return install();
    return spoor_checksum("example-agent-install");
}
