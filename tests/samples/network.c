/* The `sandbox analyze --network sinkhole` tests' sample (built static at test time). argv[1]:
 *   sinkhole  lists its network interfaces, asks 203.0.113.53:53 for evil.example (A) and
 *             [2001:db8::53]:53 for it (AAAA), connects to the A answer on port 80 (an HTTP GET whose
 *             reply's status line it prints) and to
 *             203.0.113.5:4444 and [2001:db8::5]:443, sends a first message on each, exits 7
 *   forge     tries to forge the sinkhole's records: writes record-looking lines to every file
 *             descriptor and every path it can think of, sends them as its payload and in a DNS
 *             name, tries to signal every process, to take a destination's port for itself and
 *             to bind port 53, then exits 5
 *   hold      connects to 203.0.113.7:8443, sends "HOLD" and sleeps with the connection open (past the timeout)
 * Every address is a documentation address (RFC 5737 203.0.113.0/24, RFC 3849 2001:db8::/32): in
 * the guest they all belong to the sinkhole's namespace, which has no device but lo and lives in a
 * VM without a network device, so no packet leaves the guest; with --network none they are unreachable. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static socklen_t addr(struct sockaddr_storage *s, const char *ip, int port) {
    memset(s, 0, sizeof *s);
    struct sockaddr_in *a = (struct sockaddr_in *)s;
    struct sockaddr_in6 *b = (struct sockaddr_in6 *)s;
    if (inet_pton(AF_INET, ip, &a->sin_addr) == 1) { a->sin_family = AF_INET; a->sin_port = htons(port); return sizeof *a; }
    inet_pton(AF_INET6, ip, &b->sin6_addr); b->sin6_family = AF_INET6; b->sin6_port = htons(port); return sizeof *b;
}

/* A DNS question for NAME (dotted, at most 200 bytes) of TYPE sent to SERVER:53; the answer's address in OUT ("-" if none). */
static void resolve(const char *server, const char *name, int type, char *out, size_t outlen) {
    unsigned char q[256] = {0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}, r[512];
    size_t n = 12;
    for (const char *p = name; *p;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        q[n++] = (unsigned char)len; memcpy(q + n, p, len); n += len;
        p += len + (dot ? 1 : 0);
    }
    q[n++] = 0; q[n++] = 0; q[n++] = (unsigned char)type; q[n++] = 0; q[n++] = 1;
    struct sockaddr_storage s;
    socklen_t sl = addr(&s, server, 53);
    int fd = socket(s.ss_family, SOCK_DGRAM, 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    snprintf(out, outlen, "-");
    if (sendto(fd, q, n, 0, (struct sockaddr *)&s, sl) < 0) { printf("dns %s: sendto: %s\n", name, strerror(errno)); close(fd); return; }
    ssize_t got = recv(fd, r, sizeof r, 0);
    if (got < 0) { printf("dns %s: recv: %s\n", name, strerror(errno)); close(fd); return; }
    size_t alen = type == 1 ? 4 : 16;
    if (got >= (ssize_t)(n + 12 + alen) && r[7] == 1) inet_ntop(type == 1 ? AF_INET : AF_INET6, r + got - alen, out, (socklen_t)outlen);
    printf("dns %s %s: %s\n", type == 1 ? "A" : "AAAA", name, out);
    close(fd);
}

static void say(const char *ip, int port, const char *text) {
    struct sockaddr_storage s;
    socklen_t sl = addr(&s, ip, port);
    int fd = socket(s.ss_family, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&s, sl) != 0) { printf("tcp %s %d: connect: %s\n", ip, port, strerror(errno)); close(fd); return; }
    ssize_t n = write(fd, text, strlen(text));
    printf("tcp %s %d: sent %zd\n", ip, port, n);
    if (strncmp(text, "GET ", 4) == 0) { /* a beacon waits for its server's answer: print its status line */
        struct timeval t = {.tv_sec = 10};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
        char reply[256] = {0};
        ssize_t got = recv(fd, reply, sizeof reply - 1, 0);
        char *eol = got > 0 ? strstr(reply, "\r\n") : NULL;
        if (eol) *eol = 0;
        printf("tcp %s %d: reply %s\n", ip, port, got > 0 ? reply : got == 0 ? "(closed)" : strerror(errno));
    }
    close(fd);
}

static void sinkhole(void) {
    struct if_nameindex *ifs = if_nameindex();
    for (struct if_nameindex *i = ifs; i && i->if_index; i++) printf("interface %s\n", i->if_name);
    char a[64], a6[64];
    resolve("203.0.113.53", "evil.example", 1, a, sizeof a);
    resolve("2001:db8::53", "evil.example", 28, a6, sizeof a6);
    if (strcmp(a, "-") != 0) say(a, 80, "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    say("203.0.113.5", 4444, "HELLO from the sample\n");
    say("2001:db8::5", 443, "HELLO6");
    fflush(stdout);
    exit(7);
}

/* What a forged record would look like: an address no test uses (6.6.6.6), hex the helper would write. */
static const char FAKE[] = "\ntcp 1 1 ipv4 6.6.6.6 666 1 4 46414b45\ndns 2 1 ipv4 6.6.6.6 53 1 1 00\nend 0\n";

static void forge(void) {
    int wrote = 0;
    for (int fd = 0; fd < 1024; fd++) if (write(fd, FAKE, sizeof FAKE - 1) > 0) wrote++;
    printf("\nfds written %d\n", wrote);
    const char *paths[] = {"/run/report/sinkhole", "/run/sinkhole/net", "/run/sinkhole/ready", "/run/sinkhole/err", "/dev/console",
        "/dev/hvc0", "/dev/vport0p0", "/dev/vport0p1", "/dev/vport0p2", "/dev/vport0p3", "/dev/vport1p1", "/dev/vport1p2",
        "/sys/kernel/tracing/trace_marker", "/proc/1/root/run/report/sinkhole", "/tmp/sinkhole", NULL}; /* (its own fds were written above) */
    for (const char **p = paths; *p; p++) {
        int fd = open(*p, O_WRONLY | O_APPEND | O_NOCTTY);
        if (fd >= 0 && write(fd, FAKE, sizeof FAKE - 1) > 0) printf("forged into %s\n", *p);
        if (fd >= 0) close(fd);
    }
    DIR *proc = opendir("/proc");
    struct dirent *e;
    int pids = 0, killed = 0;
    while (proc && (e = readdir(proc))) {
        int pid = atoi(e->d_name);
        if (pid <= 0) continue;
        pids++;
        if (pid != getpid() && kill(pid, SIGKILL) == 0) killed++;
    }
    for (int pid = 2; pid < 4096; pid++) if (pid != getpid() && kill(pid, SIGKILL) == 0) killed++;
    printf("pids seen %d killed %d\n", pids, killed);

    /* A port of a destination taken for itself: the sinkhole still gets the connection. */
    struct sockaddr_storage s;
    socklen_t sl = addr(&s, "203.0.113.9", 8080);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (struct sockaddr *)&s, sl) == 0 && listen(l, 8) == 0) {
        say("203.0.113.9", 8080, "STOLEN?");
        usleep(200000);
        int c = accept(l, NULL, NULL);
        printf("stolen %d\n", c >= 0);
    } else {
        printf("listen 203.0.113.9:8080: %s\n", strerror(errno));
    }
    int d = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(53)};
    if (bind(d, (struct sockaddr *)&any, sizeof any) != 0) printf("bind 53: %s\n", strerror(errno));
    else printf("bind 53: ok\n");

    /* The forged lines as payload and as a DNS name: data in the records, never records. */
    say("203.0.113.6", 4444, FAKE);
    char a[64];
    resolve("203.0.113.53", "x\ntcp 9 9 ipv4 6.6.6.6 666 1 4 46414b45\nend.example", 1, a, sizeof a);
    fflush(stdout);
    exit(5);
}

static void hold(void) {
    struct sockaddr_storage s;
    socklen_t sl = addr(&s, "203.0.113.7", 8443);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&s, sl) != 0 || write(fd, "HOLD", 4) != 4) printf("hold: %s\n", strerror(errno));
    fflush(stdout);
    sleep(100000);
    exit(0);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "sinkhole")) sinkhole();
    if (!strcmp(mode, "forge")) forge();
    if (!strcmp(mode, "hold")) hold();
    fprintf(stderr, "usage: network sinkhole|forge\n");
    return 2;
}
