/*
 * sandbox-init: the workload's PID 1 with `run --init` (docker's --init, tini's semantics).
 *
 * A program that is PID 1 gets no default signal action: SIGTERM without a handler does nothing,
 * so `stop` waits out its grace and kills. And orphans are reparented to PID 1, which must reap
 * them or they stay zombies. This program is PID 1 instead:
 *
 *     sandbox-init -- PROGRAM ARG...
 *
 * It blocks every signal, forks PROGRAM (in its own process group; made the terminal's foreground
 * group when stdin is a terminal, so a terminal's ^C reaches it once), then waits for signals:
 * SIGCHLD reaps every exited child (zombies included); any other signal is forwarded to PROGRAM.
 * When PROGRAM ends, this program exits with its status, or 128+N when signal N killed it; the
 * kernel then kills what is left in the PID namespace. It runs inside the sandbox after all
 * hardening (namespaces, user, no_new_privs, seccomp): fork, signals, wait4, execve and nothing more.
 * 127 when PROGRAM is not found, 126 when it cannot be run, 125 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(int status, const char *what, const char *name, int err)
{
    fprintf(stderr, "sandbox-init: %s%s%s%s%s\n", what, name ? " " : "", name ? name : "", err ? ": " : "", err ? strerror(err) : "");
    _exit(status);
}

/* In the child: its own process group (foreground on a terminal), the original mask, then PROGRAM. */
static void run_program(char **argv, const sigset_t *original)
{
    setpgid(0, 0);
    if (isatty(STDIN_FILENO))
        tcsetpgrp(STDIN_FILENO, getpgrp()); /* SIGTTOU is still blocked here, so this cannot stop us */
    sigprocmask(SIG_SETMASK, original, NULL);
    execvp(argv[0], argv);
    die(errno == ENOENT ? 127 : 126, "cannot run", argv[0], errno);
}

/* Reaps every exited child; returns PROGRAM's exit code once it is among them, else -1. */
static int reap(pid_t program)
{
    int result = -1, status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid != program)
            continue; /* an orphan: reaped so it is no zombie */
        if (WIFEXITED(status))
            result = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            result = 128 + WTERMSIG(status);
    }
    return result;
}

int main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "--") != 0)
        die(125, "usage: sandbox-init -- PROGRAM [ARG...]", NULL, 0);

    /* Not PID 1 (a runtime that shares a PID namespace): still adopt orphans, to reap them. */
    if (getpid() != 1)
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    sigset_t all, original;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &original); /* blocked signals are queued, even for PID 1 */
    pid_t program = fork();
    if (program < 0)
        die(125, "fork", NULL, errno);
    if (program == 0)
        run_program(argv + 2, &original);

    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0)
            continue; /* EINTR */
        if (sig == SIGCHLD) {
            int code = reap(program);
            if (code >= 0)
                return code;
        } else if (kill(program, sig) < 0 && errno != ESRCH) {
            die(125, "forwarding a signal", NULL, errno);
        }
    }
}
