/*
 * sandbox-sinkhole: the fake network of `sandbox analyze --network sinkhole`, run by guest init.
 *
 *     sandbox-sinkhole NETNS_FILE UID         (records on stdout, "ready" on fd 4)
 *
 * It makes a new network namespace (bind-mounted on NETNS_FILE, which crun then joins for the
 * sample) holding only a loopback, where every address is local (AnyIP: `local 0.0.0.0/0` and
 * `local ::/0` routes on lo), so nothing is ever routed anywhere: the VM has no NIC at all, and
 * this namespace has no device but lo. In it:
 *
 *   - every TCP connection to any address but the loopback's own, on any port, reaches this
 *     program's one listener: an sk_lookup BPF program (attached to the namespace) hands it the
 *     connection before the kernel looks for a listener by port. The accepted socket's local
 *     address is the destination the sample asked for. The first 4 KiB it sends are recorded.
 *     A connection whose first bytes are a whole HTTP/1.x request head gets one canned reply
 *     (HTTP_REPLY: 200, empty body), so a sample that waits for its server's answer goes on;
 *     anything else is never answered.
 *   - every UDP datagram to port 53, on any address, reaches this program's DNS sockets (port 53
 *     is privileged: the sample, without capabilities, cannot bind it). A/AAAA questions are
 *     answered with SINK4/SINK6 (documentation addresses, themselves caught by the TCP sinkhole),
 *     others with an empty answer. The reply comes from the address the sample asked.
 *
 * It then drops to UID (not the sample's identity), without capabilities, not dumpable, under a
 * seccomp filter that allows only what serving needs, and serves until SIGTERM. It lives in init's PID, mount and user namespaces: the sample cannot see,
 * signal or trace it, nor reach its output, which only init reads. Records are ASCII lines whose
 * every field comes from the kernel (addresses, ports) or is hex (the bytes the sample sent), so a
 * sample cannot forge a line:
 *
 *     tcp SEQ MONO_NS FAMILY ADDR PORT SRCPORT TOTAL REPLIED HEX
 *     dns SEQ MONO_NS FAMILY ADDR PORT SRCPORT ANSWERED HEX
 *     end DROPPED
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/bpf.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/rtnetlink.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FIRST_BYTES 4096
#define MAX_OPEN 256    /* connections read at once; beyond, a connection is recorded without bytes */
#define MAX_RECORDS 1024 /* then only counted */
#define DNS_MAX 512
#define TCP_PORT 1 /* the listener's own port: privileged, so the sample cannot take it */

static const unsigned char SINK4[4] = {192, 0, 2, 1};
static const unsigned char SINK6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static volatile sig_atomic_t stopping;
static unsigned long seq, records, dropped;

static void die(const char *what)
{
    fprintf(stderr, "sandbox-sinkhole: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void on_term(int sig)
{
    (void)sig;
    stopping = 1;
}

static unsigned long long mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

/* ---- setup (as root, before dropping privileges) ---- */

static void loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        die("lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        die("lo up");
    close(s);
}

/* `ip route add local ADDR/0 dev lo table local`: every address of FAMILY is this host's. */
static void anyip_route(int family)
{
    struct {
        struct nlmsghdr h;
        struct rtmsg r;
        char attrs[64];
    } m;
    memset(&m, 0, sizeof m);
    m.h.nlmsg_type = RTM_NEWROUTE;
    m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    m.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    m.r.rtm_family = (unsigned char)family;
    m.r.rtm_dst_len = 0;
    m.r.rtm_table = RT_TABLE_LOCAL;
    m.r.rtm_protocol = RTPROT_STATIC;
    m.r.rtm_scope = RT_SCOPE_HOST;
    m.r.rtm_type = RTN_LOCAL;
    struct rtattr *a = (struct rtattr *)((char *)&m + NLMSG_ALIGN(m.h.nlmsg_len));
    a->rta_type = RTA_OIF;
    a->rta_len = RTA_LENGTH(sizeof(int));
    int lo = (int)if_nametoindex("lo");
    memcpy(RTA_DATA(a), &lo, sizeof lo);
    m.h.nlmsg_len = NLMSG_ALIGN(m.h.nlmsg_len) + RTA_ALIGN(a->rta_len);

    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct sockaddr_nl k = {.nl_family = AF_NETLINK};
    if (s < 0 || sendto(s, &m, m.h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0)
        die("route");
    char reply[512];
    ssize_t n = recv(s, reply, sizeof reply, 0);
    struct nlmsghdr *h = (struct nlmsghdr *)reply;
    if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || h->nlmsg_type != NLMSG_ERROR)
        die("route reply");
    struct nlmsgerr *e = NLMSG_DATA(h);
    if (e->error) {
        errno = -e->error;
        die(family == AF_INET ? "route local 0.0.0.0/0" : "route local ::/0");
    }
    close(s);
}

static long bpf(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

/*
 * The sk_lookup program: a TCP lookup whose destination is not the loopback's own (127.0.0.0/8,
 * ::1) gets the listener in the map's slot 0. Anything else goes on as usual.
 */
static void attach_lookup(int listener)
{
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_SOCKMAP;
    a.key_size = 4;
    a.value_size = 8;
    a.max_entries = 1;
    int map = (int)bpf(BPF_MAP_CREATE, &a);
    if (map < 0)
        die("bpf sockmap");
    uint32_t key = 0;
    uint64_t value = (uint64_t)listener;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)map;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)&value;
    if (bpf(BPF_MAP_UPDATE_ELEM, &a) < 0)
        die("bpf sockmap insert");

/* a jump at index AT to index TO */
#define J(op, at, to, reg, imm) INSN(BPF_JMP | (op), (reg), 0, (to) - (at) - 1, (imm))
    enum { V6 = 9, ASSIGN = 17, PASS = 31 };
    struct bpf_insn p[] = {
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),        /* 0: r6 = ctx */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 6, 12, 0),         /* 1: protocol */
        J(BPF_JNE | BPF_K, 2, PASS, 2, IPPROTO_TCP),          /* 2 */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 6, 8, 0),          /* 3: family */
        J(BPF_JNE | BPF_K, 4, V6, 2, AF_INET),                /* 4 */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 6, 40, 0),         /* 5: local_ip4 (network order) */
        INSN(BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 0xff),     /* 6: its first byte */
        J(BPF_JEQ | BPF_K, 7, PASS, 2, 127),                  /* 7 */
        J(BPF_JA, 8, ASSIGN, 0, 0),                           /* 8 */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 6, 44, 0),         /* 9 V6: local_ip6 == ::1 ? */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 3, 6, 48, 0),         /* 10 */
        INSN(BPF_ALU64 | BPF_OR | BPF_X, 2, 3, 0, 0),         /* 11 */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 3, 6, 52, 0),         /* 12 */
        INSN(BPF_ALU64 | BPF_OR | BPF_X, 2, 3, 0, 0),         /* 13 */
        J(BPF_JNE | BPF_K, 14, ASSIGN, 2, 0),                 /* 14 */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 6, 56, 0),         /* 15 */
        J(BPF_JEQ | BPF_K, 16, PASS, 2, 0x01000000),          /* 16: htonl(1), little-endian */
        INSN(BPF_ST | BPF_W | BPF_MEM, 10, 0, -4, 0),         /* 17 ASSIGN: key 0 on the stack */
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),       /* 18 */
        INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),       /* 19 */
        INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map), /* 20, 21: the map */
        INSN(0, 0, 0, 0, 0),
        INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem), /* 22: the listener, referenced */
        J(BPF_JEQ | BPF_K, 23, PASS, 0, 0),                   /* 23 */
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 0, 0, 0),        /* 24 */
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),        /* 25 */
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 7, 0, 0),        /* 26 */
        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0),        /* 27 */
        INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_assign), /* 28 */
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 7, 0, 0),        /* 29 */
        INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_release), /* 30 */
        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, SK_PASS),  /* 31 PASS */
        INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),                 /* 32 */
    };
    static char log[8192];
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_SK_LOOKUP;
    a.expected_attach_type = BPF_SK_LOOKUP;
    a.insns = (uint64_t)(uintptr_t)p;
    a.insn_cnt = sizeof p / sizeof p[0];
    a.license = (uint64_t)(uintptr_t)"GPL";
    a.log_buf = (uint64_t)(uintptr_t)log;
    a.log_size = sizeof log;
    a.log_level = 1;
    int prog = (int)bpf(BPF_PROG_LOAD, &a);
    if (prog < 0) {
        fprintf(stderr, "sandbox-sinkhole: verifier: %.2000s\n", log);
        die("bpf sk_lookup program");
    }
    int netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    memset(&a, 0, sizeof a);
    a.link_create.prog_fd = (uint32_t)prog;
    a.link_create.target_fd = (uint32_t)netns;
    a.link_create.attach_type = BPF_SK_LOOKUP;
    if (netns < 0 || bpf(BPF_LINK_CREATE, &a) < 0) /* the link lives as long as this process */
        die("bpf attach sk_lookup");
    close(netns);
    close(prog);
}

static int bound(int family, int type, int port)
{
    int s = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, zero = 0;
    if (s < 0)
        die("socket");
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) {
        /* TCP: one dual-stack listener takes IPv4 too; UDP: a socket per family, for the replies' source */
        int v6only = type == SOCK_DGRAM;
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, v6only ? &one : &zero, sizeof one);
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT};
        if (type == SOCK_DGRAM) {
            /* a reply's source is the address the sample asked, which IPv6 (unlike AnyIP IPv4) calls foreign */
            setsockopt(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
            setsockopt(s, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
        }
        if (bind(s, (struct sockaddr *)&a, sizeof a) < 0)
            die("bind [::]");
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = {htonl(INADDR_ANY)}};
        setsockopt(s, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
        if (bind(s, (struct sockaddr *)&a, sizeof a) < 0)
            die("bind 0.0.0.0");
    }
    if (type == SOCK_STREAM && listen(s, 128) < 0)
        die("listen");
    return s;
}

/*
 * Once serving, the helper only reads, writes, accepts and polls: every other system call kills
 * it (a bug in its DNS parsing that a sample exploited would find nothing more to call; its
 * records would then lack their end line, which the report shows).
 */
static void lockdown(void)
{
    static const int allowed[] = {SYS_read, SYS_write, SYS_close, SYS_accept4, SYS_getsockname, SYS_recvmsg, SYS_sendmsg,
        SYS_poll, SYS_ppoll, SYS_clock_gettime, SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap, SYS_fstat, SYS_newfstatat,
        SYS_rt_sigreturn, SYS_exit, SYS_exit_group};
    enum { N = sizeof allowed / sizeof allowed[0] };
    struct sock_filter f[4 + 2 * N + 1];
    int i = 0;
    f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (int k = 0; k < N; k++) {
        f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed[k], 0, 1);
        f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    struct sock_fprog prog = {.len = (unsigned short)i, .filter = f};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
        die("seccomp");
}

/* ---- records ---- */

/* "FAMILY ADDR PORT": an IPv4-mapped IPv6 address is printed as the IPv4 address the sample used. */
static void put_addr(const struct sockaddr_storage *a)
{
    char text[INET6_ADDRSTRLEN];
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const void *)a;
        if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
            inet_ntop(AF_INET, &s->sin6_addr.s6_addr[12], text, sizeof text);
            printf("ipv4 %s %u", text, ntohs(s->sin6_port));
        } else {
            inet_ntop(AF_INET6, &s->sin6_addr, text, sizeof text);
            printf("ipv6 %s %u", text, ntohs(s->sin6_port));
        }
    } else {
        const struct sockaddr_in *s = (const void *)a;
        inet_ntop(AF_INET, &s->sin_addr, text, sizeof text);
        printf("ipv4 %s %u", text, ntohs(s->sin_port));
    }
}

static unsigned port_of(const struct sockaddr_storage *a)
{
    return a->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)a)->sin6_port) : ntohs(((const struct sockaddr_in *)a)->sin_port);
}

static void put_hex(const unsigned char *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    if (n == 0)
        putchar('-');
    for (size_t i = 0; i < n; i++) {
        putchar(digits[b[i] >> 4]);
        putchar(digits[b[i] & 15]);
    }
}

/* Whether one more record may be written; else it is only counted. */
static int may_record(void)
{
    if (records >= MAX_RECORDS) {
        dropped++;
        return 0;
    }
    records++;
    return 1;
}

/* ---- TCP ---- */

struct conn {
    int fd;
    unsigned long seq;
    unsigned long long at;
    struct sockaddr_storage dst, src;
    unsigned long long total;
    int replied; /* HTTP_REPLY was sent */
    size_t len;
    unsigned char first[FIRST_BYTES];
};

static struct conn *conns[MAX_OPEN];
static int nconns;

static void tcp_record(struct conn *c)
{
    if (may_record()) {
        printf("tcp %lu %llu ", c->seq, c->at);
        put_addr(&c->dst);
        printf(" %u %llu %d ", port_of(&c->src), c->total, c->replied);
        put_hex(c->first, c->len);
        putchar('\n');
        fflush(stdout);
    }
}

static void tcp_close(int i)
{
    tcp_record(conns[i]);
    close(conns[i]->fd);
    free(conns[i]);
    conns[i] = conns[--nconns];
}

static void tcp_accept(int listener)
{
    for (;;) {
        struct conn c;
        socklen_t sl = sizeof c.src, dl = sizeof c.dst;
        int fd = accept4(listener, (struct sockaddr *)&c.src, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        getsockname(fd, (struct sockaddr *)&c.dst, &dl); /* with sk_lookup: the destination the sample asked for */
        c.fd = fd;
        c.seq = ++seq;
        c.at = mono_ns();
        c.total = 0;
        c.replied = 0;
        c.len = 0;
        struct conn *kept = nconns < MAX_OPEN ? malloc(sizeof c) : NULL;
        if (!kept) { /* too many at once: recorded without its bytes */
            tcp_record(&c);
            close(fd);
            continue;
        }
        memcpy(kept, &c, offsetof(struct conn, first));
        conns[nconns++] = kept;
    }
}

/* The one answer the sinkhole gives on TCP: to an HTTP/1.x request, once its head is complete. */
static const char HTTP_REPLY[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/* The kept bytes start with "METHOD /... HTTP/1." and hold the blank line that ends the head. */
static int http_request(const unsigned char *b, size_t n)
{
    static const char *const methods[] = {"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH "};
    const unsigned char *eol = memchr(b, '\n', n);
    if (!eol || !memmem(b, n, "\r\n\r\n", 4))
        return 0;
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        size_t m = strlen(methods[i]);
        if (n > m && memcmp(b, methods[i], m) == 0)
            return memmem(b, (size_t)(eol - b), " HTTP/1.", 8) != NULL;
    }
    return 0;
}

/* Reads what is waiting; 1 when the connection is done (closed by the sample, or failed). */
static int tcp_read(struct conn *c)
{
    unsigned char buf[FIRST_BYTES];
    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n == 0)
            return 1;
        if (n < 0)
            return errno != EAGAIN && errno != EINTR;
        size_t keep = c->len < FIRST_BYTES ? FIRST_BYTES - c->len : 0;
        if ((size_t)n < keep)
            keep = (size_t)n;
        memcpy(c->first + c->len, buf, keep);
        c->len += keep;
        c->total += (unsigned long long)n;
        if (!c->replied && http_request(c->first, c->len)) {
            /* Recorded only when all of it went out; a sample already gone (EPIPE, SIGPIPE ignored) ends the connection. */
            c->replied = write(c->fd, HTTP_REPLY, sizeof HTTP_REPLY - 1) == (ssize_t)(sizeof HTTP_REPLY - 1);
            if (!c->replied)
                return 1;
        }
    }
}

/* ---- DNS ---- */

static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* The answer to QUERY (N bytes) in OUT: A and AAAA get the sinkhole's address, others none. 0: no answer. */
static size_t dns_answer(const unsigned char *q, size_t n, unsigned char *out)
{
    if (n < 12 || (q[2] & 0x80) || get16(q + 4) != 1)
        return 0; /* not a query with one question */
    size_t i = 12;
    while (i < n && q[i] != 0) {
        if (q[i] & 0xc0)
            return 0; /* a question has no compression */
        i += (size_t)q[i] + 1;
    }
    if (i + 5 > n)
        return 0;
    size_t end = i + 5; /* the name's zero byte, type, class */
    uint16_t type = get16(q + i + 1);
    memcpy(out, q, end);
    out[2] = (unsigned char)(0x80 | (q[2] & 0x79)); /* QR, the opcode and RD as asked */
    out[3] = 0x80;                                  /* RA, NOERROR */
    out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
    const unsigned char *addr = type == 1 ? SINK4 : type == 28 ? SINK6 : NULL;
    if (!addr)
        return end;
    size_t len = type == 1 ? 4 : 16;
    out[7] = 1;
    unsigned char rr[12] = {0xc0, 12, (unsigned char)(type >> 8), (unsigned char)type, 0, 1, 0, 0, 0, 60, 0, (unsigned char)len};
    memcpy(out + end, rr, sizeof rr);
    memcpy(out + end + sizeof rr, addr, len);
    return end + sizeof rr + len;
}

static void dns_serve(int s, int family)
{
    for (;;) {
        unsigned char q[DNS_MAX], r[DNS_MAX + 40];
        char control[256];
        struct sockaddr_storage src, dst;
        struct iovec v = {q, sizeof q};
        struct msghdr m = {.msg_name = &src, .msg_namelen = sizeof src, .msg_iov = &v, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
        ssize_t n = recvmsg(s, &m, MSG_TRUNC);
        if (n < 0)
            return;
        size_t got = (size_t)n < sizeof q ? (size_t)n : sizeof q;
        unsigned long long at = mono_ns();
        /* The destination the sample asked for, and the reply's source. */
        memset(&dst, 0, sizeof dst);
        dst.ss_family = (sa_family_t)family;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (family == AF_INET && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo *pi = (void *)CMSG_DATA(c);
                ((struct sockaddr_in *)&dst)->sin_addr = pi->ipi_addr;
                ((struct sockaddr_in *)&dst)->sin_port = htons(53);
                pi->ipi_spec_dst = pi->ipi_addr;
                pi->ipi_ifindex = 0;
            } else if (family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                struct in6_pktinfo *pi = (void *)CMSG_DATA(c);
                ((struct sockaddr_in6 *)&dst)->sin6_addr = pi->ipi6_addr;
                ((struct sockaddr_in6 *)&dst)->sin6_port = htons(53);
                pi->ipi6_ifindex = 0;
            }
        }
        size_t len = (size_t)n <= sizeof q ? dns_answer(q, got, r) : 0;
        int answered = 0;
        if (len) {
            v.iov_base = r;
            v.iov_len = len;
            m.msg_flags = 0;
            answered = sendmsg(s, &m, 0) == (ssize_t)len; /* from the address asked, with the pktinfo received */
        }
        if (may_record()) {
            printf("dns %lu %llu ", ++seq, at);
            put_addr(&dst);
            printf(" %u %d ", port_of(&src), answered);
            put_hex(q, got);
            putchar('\n');
            fflush(stdout);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: sandbox-sinkhole NETNS_FILE UID\n");
        return 2;
    }
    uid_t uid = (uid_t)strtoul(argv[2], NULL, 10);
    if (uid == 0)
        return 2;
    if (unshare(CLONE_NEWNET) < 0)
        die("unshare");
    if (mount("/proc/self/ns/net", argv[1], NULL, MS_BIND, NULL) < 0)
        die("bind the namespace");
    loopback_up();
    anyip_route(AF_INET);
    anyip_route(AF_INET6);
    int listener = bound(AF_INET6, SOCK_STREAM, TCP_PORT);
    int dns4 = bound(AF_INET, SOCK_DGRAM, 53), dns6 = bound(AF_INET6, SOCK_DGRAM, 53);
    attach_lookup(listener);

    /* From here: another identity than the sample's, no capabilities, not dumpable. */
    gid_t gid = (gid_t)uid;
    if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
        die("drop privileges");
    prctl(PR_SET_DUMPABLE, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    struct sigaction term = {.sa_handler = on_term};
    sigaction(SIGTERM, &term, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (write(4, "ready\n", 6) != 6)
        die("ready");
    close(4);
    lockdown();

    struct pollfd fds[3 + MAX_OPEN];
    while (!stopping) {
        fds[0] = (struct pollfd){.fd = listener, .events = POLLIN};
        fds[1] = (struct pollfd){.fd = dns4, .events = POLLIN};
        fds[2] = (struct pollfd){.fd = dns6, .events = POLLIN};
        for (int i = 0; i < nconns; i++)
            fds[3 + i] = (struct pollfd){.fd = conns[i]->fd, .events = POLLIN};
        int n = nconns;
        if (poll(fds, (nfds_t)(3 + n), -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        for (int i = n - 1; i >= 0; i--)
            if (fds[3 + i].revents && tcp_read(conns[i]))
                tcp_close(i);
        if (fds[0].revents)
            tcp_accept(listener);
        if (fds[1].revents)
            dns_serve(dns4, AF_INET);
        if (fds[2].revents)
            dns_serve(dns6, AF_INET6);
    }
    /* The sample is gone: what is still open is recorded as it stands. */
    while (nconns > 0) {
        tcp_read(conns[nconns - 1]);
        tcp_close(nconns - 1);
    }
    printf("end %lu\n", dropped);
    fflush(stdout);
    return 0;
}
