/*
 * sandbox-exec: the workload's first program when its argv or environment is not UTF-8.
 *
 * OCI config.json is JSON, and JSON strings are Unicode: a runtime decoding them replaces bytes
 * that are not UTF-8 with U+FFFD. So the launcher hands the runtime this program instead, with
 * every argument and each non-UTF-8 environment entry hex-encoded (plain ASCII), and this program,
 * already inside the sandbox with all its hardening applied (namespaces, user, no_new_privs,
 * seccomp, rlimits), decodes them and execve()s the workload with the exact bytes:
 *
 *     sandbox-exec NENV HEXENV... HEXARG0 HEXARG...
 *
 * The environment is the one the runtime gave this program, with each decoded NAME=VALUE entry
 * replacing a same-named one. ARG0 without a slash is looked up in PATH (that environment's, else
 * /usr/bin:/bin), as the runtime would; 127 when it is not found, 126 when it cannot be run.
 * It only execs: no shell, no fork, no file it writes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void die(int status, const char *what, const char *name, int err)
{
    fprintf(stderr, "sandbox-exec: %s%s%s%s%s\n", what, name ? " " : "", name ? name : "", err ? ": " : "", err ? strerror(err) : "");
    exit(status);
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes lowercase hex in place; a NUL in the result (never valid in argv or environ) is refused. */
static char *unhex(char *s)
{
    size_t n = strlen(s);
    if (n % 2)
        die(125, "odd-length hex argument", NULL, 0);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            die(125, "bad hex argument", NULL, 0);
        s[i] = (char)(hi << 4 | lo);
    }
    s[n / 2] = '\0';
    return s;
}

static size_t name_length(const char *entry)
{
    const char *eq = strchr(entry, '=');
    return eq ? (size_t)(eq - entry) : strlen(entry);
}

int main(int argc, char **argv)
{
    char *end;
    if (argc < 3)
        die(125, "usage: sandbox-exec NENV HEXENV... HEXARG0 HEXARG...", NULL, 0);
    errno = 0;
    unsigned long nenv = strtoul(argv[1], &end, 10);
    if (errno || *end || end == argv[1] || nenv > (unsigned long)argc - 3)
        die(125, "bad environment count", NULL, 0);

    size_t inherited = 0;
    while (environ[inherited])
        inherited++;
    char **env = calloc(inherited + nenv + 1, sizeof *env);
    if (!env)
        die(125, "out of memory", NULL, 0);
    size_t count = 0;
    char **added = argv + 2;
    for (unsigned long i = 0; i < nenv; i++)
        unhex(added[i]);
    for (size_t i = 0; i < inherited; i++) {
        int replaced = 0;
        for (unsigned long j = 0; j < nenv && !replaced; j++)
            replaced = name_length(environ[i]) == name_length(added[j]) && !strncmp(environ[i], added[j], name_length(added[j]));
        if (!replaced)
            env[count++] = environ[i];
    }
    for (unsigned long j = 0; j < nenv; j++)
        env[count++] = added[j];

    char **args = argv + 2 + nenv;
    for (char **a = args; *a; a++)
        unhex(*a);
    const char *program = args[0];
    if (strchr(program, '/')) {
        execve(program, args, env);
        die(errno == ENOENT ? 127 : 126, "cannot execute", program, errno);
    }

    const char *path = "/usr/bin:/bin";
    for (size_t i = 0; i < count; i++)
        if (!strncmp(env[i], "PATH=", 5))
            path = env[i] + 5;
    size_t longest = strlen(path) + strlen(program) + 3;
    char *candidate = malloc(longest);
    if (!candidate)
        die(125, "out of memory", NULL, 0);
    int denied = 0;
    for (const char *dir = path;; dir++) {
        const char *colon = strchrnul(dir, ':');
        int len = (int)(colon - dir);
        snprintf(candidate, longest, "%.*s%s%s", len, len ? dir : ".", "/", program);
        execve(candidate, args, env);
        if (errno != ENOENT && errno != ENOTDIR)
            denied = errno; /* found but not runnable: keep looking, report it if nothing runs */
        if (!*colon)
            break;
        dir = colon;
    }
    if (denied)
        die(126, "cannot execute", program, denied);
    die(127, "not found in PATH:", program, 0);
    return 127;
}
