/* inert.h - the guard every program of the spoor corpus goes through.
 *
 * A corpus program does nothing unless it is started with exactly six arguments and the sixth is
 * SPOOR_MAGIC (64 characters).  Even then it only computes a checksum of its configuration and
 * exits: the functions that name the suspicious APIs are reachable only through `spoor_never`, a
 * volatile zero that nothing in the program writes.  The compiler must keep those functions (and
 * so their imports and strings) because it cannot prove the volatile read yields zero; no run of
 * the program can get there without a debugger rewriting memory.
 */
#ifndef SPOOR_INERT_H
#define SPOOR_INERT_H

#define SPOOR_MAGIC "spoor-inert-corpus-magic:9f2c4e7a1b8d3650c2e9a7f41d6b8053e1a9c7d"

static volatile int spoor_never;

static int spoor_streq(const char *a, const char *b)
{
    if (a == 0 || b == 0)
        return 0;
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* True only for the impossible invocation: argc == 7 and argv[6] == SPOOR_MAGIC. */
static int spoor_armed(int argc, char **argv)
{
    return argc == 7 && spoor_streq(argv[6], SPOOR_MAGIC);
}

/* What an armed run does: a checksum of a string, returned as the exit code.  Nothing else. */
static int spoor_checksum(const char *s)
{
    unsigned h = 2166136261u;
    while (s && *s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return (int)(h & 0x7f);
}

#endif
