/* Samples for `sandbox analyze` tests (built static at test time). argv[1] picks the behaviour:
 *   behave    writes, modifies and deletes files, opens /etc/shadow, forks, execs a shell, tries TCP and UDP to the
 *             guest's loopback, a DNS query to 127.0.0.1:53, a unix socket by path and by abstract
 *             name, calls keyctl (refused by seccomp),
 *             then exits 3
 *   sleep     sleeps far past any test timeout
 *   forkbomb  forks until it cannot
 *   tamper    tries to kill and ptrace every process it can name (the collector lives outside its
 *             PID namespace), to open the report channel, and forges trace-looking lines (in argv,
 *             a file name and its task name), then exits 9
 *   escape    argv and a file name with <script> and terminal escapes, for the HTML report
 *   openflood opens a missing file 30000 times, then connects to the loopback and exits 4
 * Nothing here sends a packet beyond the guest's own loopback. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) { if (write(fd, text, strlen(text)) < 0) perror("write"); close(fd); }
    else perror(path);
}

static void behave(void) {
    put("/tmp/dropped.txt", "dropped by the sample\n");
    put("/etc/hostname-new", "x\n");
    int fd = open("/etc/passwd", O_WRONLY | O_APPEND);
    if (fd >= 0) { if (write(fd, "evil:x:0:0::/:/bin/sh\n", 22) < 0) perror("append"); close(fd); }
    if (unlink("/etc/group") != 0) perror("unlink");
    fd = open("/etc/shadow", O_RDONLY); /* read only: no change to see, the open is the evidence */
    if (fd >= 0) close(fd);
    pid_t child = fork();
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", "echo from-shell; exit 0", (char *)NULL);
        _exit(127);
    }
    waitpid(child, NULL, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(4444)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(t, (struct sockaddr *)&a, sizeof a) != 0) printf("tcp connect: %s\n", strerror(errno));
    close(t);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    a.sin_port = htons(5555);
    if (connect(u, (struct sockaddr *)&a, sizeof a) != 0) printf("udp connect: %s\n", strerror(errno));
    close(u);
    /* A DNS query for sinkhole.test (type A) to the loopback's port 53, as a resolver would send it. */
    unsigned char q[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 8, 's', 'i', 'n', 'k', 'h', 'o', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};
    int d = socket(AF_INET, SOCK_DGRAM, 0);
    a.sin_port = htons(53);
    ssize_t n = sendto(d, q, sizeof q, 0, (struct sockaddr *)&a, sizeof a);
    printf("dns sendto: %zd\n", n);
    close(d);
    /* A unix socket by path (none there) and by abstract name (no listener), as a sample looking for
     * a local daemon's socket would. */
    struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/run/sandbox-sample.sock"};
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&un, sizeof un) != 0) printf("unix connect: %s\n", strerror(errno));
    close(s);
    struct sockaddr_un ab = {.sun_family = AF_UNIX};
    memcpy(ab.sun_path + 1, "sandbox-abstract", 16);
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&ab, offsetof(struct sockaddr_un, sun_path) + 17) != 0) printf("abstract connect: %s\n", strerror(errno));
    close(s);
    /* A syscall the seccomp filter refuses (the keyring). */
    if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) != 0) printf("keyctl: %s\n", strerror(errno));
    fflush(stdout);
    exit(3);
}

static void tamper(void) {
    int killed = 0, traced = 0;
    for (pid_t p = 1; p < 4096; p++) {
        if (p == getpid()) continue;
        if (kill(p, SIGKILL) == 0) killed++;
        if (ptrace(PTRACE_ATTACH, p, 0, 0) == 0) traced++;
    }
    const char *ports[] = {"/dev/vport0p1", "/dev/vport1p1", "/dev/hvc0", "/dev/console", "/sys/kernel/tracing/trace_marker"};
    for (unsigned i = 0; i < sizeof ports / sizeof *ports; i++) {
        int fd = open(ports[i], O_WRONLY);
        printf("open %s: %s\n", ports[i], fd >= 0 ? "ok" : strerror(errno));
        if (fd >= 0) { if (write(fd, "report 5\nexit 0\n", 16) < 0) perror("write"); close(fd); }
    }
    /* Trace-looking text where the sample controls strings: a file name, its task name, argv. */
    const char *forged = "x\n           <...>-4242    [000] .....    1.000000: sched_process_fork: comm=x pid=1 child_pid=4242\n";
    char name[256];
    snprintf(name, sizeof name, "/tmp/%s", forged);
    put(name, "forged\n");
    prctl(PR_SET_NAME, "a\n<...>-4243 [0");
    pid_t child = fork();
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", "exit 0", forged, (char *)NULL);
        _exit(127);
    }
    waitpid(child, NULL, 0);
    /* A file name (executed through a link) whose newline forges a line in the trace of executed names. */
    const char *link = "/tmp/y\n           <...>-4244    [000] .....    1.000000: sched_process_exec: filename=EVIL";
    if (symlink("/bin/sh", link) != 0) perror("symlink");
    child = fork();
    if (child == 0) {
        execl(link, "sh", "-c", "exit 0", "linked", (char *)NULL);
        _exit(127);
    }
    waitpid(child, NULL, 0);
    printf("killed %d traced %d\nexit 0\n", killed, traced);
    fflush(stdout);
    exit(9);
}

static void forkbomb(void) {
    for (int i = 0; i < 100000; i++) {
        pid_t p = fork();
        if (p == 0) { pause(); _exit(0); }
        if (p < 0) { printf("fork failed after %d: %s\n", i, strerror(errno)); fflush(stdout); exit(4); }
    }
    exit(5);
}

static void escape(void) {
    put("/tmp/<script>alert(1)\x1b[31mred", "x\n"); /* no '/' in a name: "</script>" would be a directory */
    pid_t child = fork();
    if (child == 0) {
        execl("/bin/sh", "<script>alert(2)</script>", "-c", "exit 0", "\x1b]0;title\x07", (char *)NULL);
        _exit(127);
    }
    waitpid(child, NULL, 0);
    exit(0);
}

/* Opens a missing file 30000 times, more than the opens buffer holds, then connects and exits 4:
 * what it did after the flood must still be in the report. */
static void openflood(void) {
    for (int i = 0; i < 30000; i++) open("/flood/missing", O_RDONLY);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(4445)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(t, (struct sockaddr *)&a, sizeof a) != 0) printf("tcp connect: %s\n", strerror(errno));
    exit(4);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "behave";
    if (!strcmp(mode, "behave")) behave();
    if (!strcmp(mode, "sleep")) { sleep(100000); return 0; }
    if (!strcmp(mode, "forkbomb")) forkbomb();
    if (!strcmp(mode, "tamper")) tamper();
    if (!strcmp(mode, "escape")) escape();
    if (!strcmp(mode, "openflood")) openflood();
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
