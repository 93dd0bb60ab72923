/* Example Backup: walks the user's Documents folder and writes an encrypted archive of it with a key
 * derived from the user's passphrase - FindFirstFile and CryptEncrypt for an honest reason. */
#include <windows.h>
#include <wincrypt.h>
#include <shlobj.h>
#include "../common/inert.h"
#define CFG_FAMILY "benign"
#define CFG_VARIANT "backupd"

static HCRYPTPROV prov;
static HCRYPTKEY key;
static HANDLE archive;
static DWORD files_done;

static void add_file(const char *path)
{
    BYTE buf[4096 + 32];
    DWORD got, put;
    HANDLE in = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (in == INVALID_HANDLE_VALUE)
        return;
    WriteFile(archive, path, (DWORD)lstrlenA(path) + 1, &put, NULL);
    while (ReadFile(in, buf, 4096, &got, NULL) && got) {
        CryptEncrypt(key, 0, got < 4096, 0, buf, &got, sizeof buf);
        WriteFile(archive, buf, got, &put, NULL);
    }
    CloseHandle(in);
    files_done++;
}

static void walk(const char *dir)
{
    char pattern[MAX_PATH], child[MAX_PATH];
    WIN32_FIND_DATAA fd;
    HANDLE h;
    wsprintfA(pattern, "%s\\*", dir);
    h = FindFirstFileA(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return;
    do {
        if (fd.cFileName[0] == '.')
            continue;
        wsprintfA(child, "%s\\%s", dir, fd.cFileName);
        if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            walk(child);
        else
            add_file(child);
    } while (FindNextFileA(h, &fd));
    FindClose(h);
}

static int family_run(void)
{
    char docs[MAX_PATH], out[MAX_PATH], msg[128];
    HCRYPTHASH hash;
    const char pass[] = "passphrase entered in the Example Backup dialog";
    if (!CryptAcquireContextA(&prov, NULL, MS_ENH_RSA_AES_PROV_A, PROV_RSA_AES, CRYPT_VERIFYCONTEXT) ||
        !CryptCreateHash(prov, CALG_SHA_256, 0, 0, &hash) ||
        !CryptHashData(hash, (const BYTE *)pass, sizeof pass - 1, 0) ||
        !CryptDeriveKey(prov, CALG_AES_256, hash, 0, &key))
        return 1;
    SHGetFolderPathA(NULL, CSIDL_PERSONAL, NULL, 0, docs);
    ExpandEnvironmentStringsA("%LOCALAPPDATA%\\Example Backup\\documents.exbak", out, sizeof out);
    archive = CreateFileA(out, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (archive == INVALID_HANDLE_VALUE)
        return 2;
    walk(docs);
    CloseHandle(archive);
    wsprintfA(msg, "Example Backup: %lu files saved to documents.exbak", files_done);
    MessageBoxA(NULL, msg, "Example Backup", MB_OK);
    return 0;
}
#include "../common/winentry.h"
