/* rc4 - build-time helper (host compiler): RC4-encrypts stdin to stdout with the key in argv[1].
 * Used by build.sh to make the high-entropy ADRPAYLOAD resource of ashdrop v3. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    unsigned char s[256], t;
    unsigned i, j = 0, n;
    int c;
    if (argc != 2 || (n = (unsigned)strlen(argv[1])) == 0) {
        fprintf(stderr, "usage: rc4 KEY <in >out\n");
        return 2;
    }
    for (i = 0; i < 256; i++)
        s[i] = (unsigned char)i;
    for (i = 0; i < 256; i++) {
        j = (j + s[i] + (unsigned char)argv[1][i % n]) & 0xff;
        t = s[i]; s[i] = s[j]; s[j] = t;
    }
    i = j = 0;
    while ((c = getchar()) != EOF) {
        i = (i + 1) & 0xff;
        j = (j + s[i]) & 0xff;
        t = s[i]; s[i] = s[j]; s[j] = t;
        putchar(c ^ s[(s[i] + s[j]) & 0xff]);
    }
    return 0;
}
