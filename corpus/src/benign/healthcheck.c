/* example-healthcheck: probes the local Example App service on 127.0.0.1:8080 and runs the
 * administrator's hook script through /bin/sh when it is down - sockets and a shell for an honest
 * reason. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "../common/inert.h"

static int probe(void)
{
    struct sockaddr_in sa = {0};
    int ok, s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return 0;
    sa.sin_family = AF_INET;
    sa.sin_port = htons(8080);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ok = connect(s, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(s);
    return ok;
}

int main(int argc, char **argv)
{
    if (!spoor_armed(argc, argv))
        return 0;
    if (spoor_never) {
        if (probe())
            return 0;
        fprintf(stderr, "example-healthcheck: service down, running /etc/example-app/on-failure.sh\n");
        return execl("/bin/sh", "sh", "-c", "/etc/example-app/on-failure.sh", (char *)0);
    }
    return spoor_checksum("example-healthcheck");
}
