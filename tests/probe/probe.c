/*
 * probe — attack probe for sandbox security tests.
 *
 * Each check performs one operation that an escape or a kernel exploit would
 * need, and reports whether the kernel let it through. Tests run the same check
 * natively and inside the sandbox and compare: a check that succeeds on the host
 * but fails inside the sandbox (EPERM, EROFS, ENOSYS, SIGSYS...) proves the
 * sandbox blocked it, not that the probe is broken.
 *
 * Output contract (see README.md):
 *   - the last line of stdout is the verdict: "CHECK: ok" or "CHECK: ERRNAME"
 *     (symbolic errno, or "E<number>" when glibc has no name for it);
 *     caps, uidmap and ifaces print their data lines before the verdict;
 *     forkbomb prints "forkbomb: N ok" or "forkbomb: K forks ok, then ERRNAME";
 *   - exit status 0 when the operation succeeded, 1 when it failed,
 *     2 on a usage error (usage goes to stderr);
 *   - a check whose process is killed (SIGSYS from seccomp, signal N) prints
 *     nothing; the caller sees the signal in the wait status.
 *
 * Raw syscall(SYS_...) is used wherever glibc might emulate, fall back or hide
 * the kernel's answer: the probe must report what the kernel (or seccomp) said.
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -o probe probe.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

/* The version-0 layout of struct clone_args (linux/sched.h), declared here
 * because that header's CLONE_* macros clash with glibc's <sched.h>. */
struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static const char *check_name; /* the check being run; set by main */

static void usage(void) __attribute__((noreturn));

/* Prints the verdict line for the running check and returns the exit status. */
static int report(int err)
{
	if (err == 0) {
		printf("%s: ok\n", check_name);
		return 0;
	}
	const char *name = strerrorname_np(err);
	if (name)
		printf("%s: %s\n", check_name, name);
	else
		printf("%s: E%d\n", check_name, err);
	return 1;
}

/* Reports a libc/syscall return value: negative means failed with errno. */
static int result(long rc)
{
	return report(rc < 0 ? errno : 0);
}

/* Reaps a child forked by a clone-style check; the check succeeded if it exited 0. */
static int reap(long pid)
{
	if (pid < 0)
		return result(-1);
	if (pid == 0)
		_exit(0);
	int status;
	if (waitpid((pid_t)pid, &status, __WALL) < 0)
		return result(-1);
	return report(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : ECHILD);
}

static long number(const char *text, int base)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, base);
	if (errno != 0 || *text == '\0' || *end != '\0')
		usage();
	return value;
}

/* Prints the lines of a file that start with prefix (all lines if prefix is ""). */
static int print_lines(const char *path, const char *prefix, const char *label)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512];
	while (fgets(line, sizeof line, f))
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			printf("%s%s", label, line);
	fclose(f);
	return 0;
}

/* --- Identity and privilege ------------------------------------------------ */

/* Which capabilities the process holds: the sandbox should drop them all. */
static int check_caps(char **arg)
{
	(void)arg;
	return result(print_lines("/proc/self/status", "Cap", ""));
}

/* The user namespace mapping: root inside must not be root outside. */
static int check_uidmap(char **arg)
{
	(void)arg;
	if (print_lines("/proc/self/uid_map", "", "uid_map: ") < 0)
		return result(-1);
	return result(print_lines("/proc/self/gid_map", "", "gid_map: "));
}

/* Becoming another user (e.g. real root) must be impossible. */
static int check_setuid(char **arg)
{
	return result(syscall(SYS_setuid, (uid_t)number(arg[0], 10)));
}

/* Dropping supplementary groups can bypass group-based deny permissions. */
static int check_setgroups(char **arg)
{
	(void)arg;
	return result(syscall(SYS_setgroups, 0, NULL));
}

/* --- Kernel attack surface ------------------------------------------------- */

static const struct {
	const char *name;
	int family, type;
} families[] = {
	{ "AF_UNIX", AF_UNIX, SOCK_STREAM },
	{ "AF_INET", AF_INET, SOCK_STREAM },
	{ "AF_INET6", AF_INET6, SOCK_STREAM },
	{ "AF_NETLINK", AF_NETLINK, SOCK_RAW },
	{ "AF_PACKET", AF_PACKET, SOCK_RAW },
	{ "AF_ALG", AF_ALG, SOCK_SEQPACKET },
	{ "AF_VSOCK", AF_VSOCK, SOCK_STREAM },
};

/* Rarely used socket families (packet, alg, vsock, netlink) are a classic
 * source of kernel exploits, and inet sockets mean network access. */
static int check_socket(char **arg)
{
	int family = -1, type = SOCK_STREAM;
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		if (strcmp(arg[0], families[i].name) == 0) {
			family = families[i].family;
			type = families[i].type;
		}
	if (family < 0)
		family = (int)number(arg[0], 10);
	return result(socket(family, type, 0));
}

/* io_uring: a large, frequently exploited kernel interface that also
 * bypasses seccomp filtering of the operations it performs. */
static int check_io_uring(char **arg)
{
	(void)arg;
	struct io_uring_params params;
	memset(&params, 0, sizeof params);
	return result(syscall(SYS_io_uring_setup, 1, &params));
}

/* eBPF: the verifier is a recurring privilege-escalation target. Loads the
 * smallest valid program: r0 = 0; exit. */
static int check_bpf(char **arg)
{
	(void)arg;
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = sizeof insns / sizeof insns[0];
	attr.license = (uintptr_t)"GPL";
	return result(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
}

/* perf_event_open: exploited repeatedly and a side channel on the host. */
static int check_perf(char **arg)
{
	(void)arg;
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.size = sizeof attr;
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.exclude_kernel = 1;
	return result(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
}

/* userfaultfd: lets an exploit stall the kernel mid-copy to win races. */
static int check_userfaultfd(char **arg)
{
	(void)arg;
	return result(syscall(SYS_userfaultfd, O_CLOEXEC));
}

/* The kernel keyring is not namespaced: keys could leak across containers. */
static int check_keyctl(char **arg)
{
	(void)arg;
	return result(syscall(SYS_add_key, "user", "probe", "x", 1, KEY_SPEC_PROCESS_KEYRING));
}

/* Two legacy ABIs on x86-64: each has its own syscall table, so a seccomp
 * filter that checks only the x86-64 numbers can be bypassed through them.
 * i386: "int $0x80" from 64-bit code, eax = 20 (getpid in the i386 table). */
static int check_i386(char **arg)
{
	(void)arg;
	long rc;
	__asm__ volatile("int $0x80"
			 : "=a"(rc)
			 : "a"(20L)
			 : "memory", "r8", "r9", "r10", "r11");
	int ret = (int)rc; /* the i386 ABI returns in eax */
	if (ret < 0 && ret > -4096)
		return report(-ret);
	return report(ret == getpid() ? 0 : EPROTO);
}

/* x32: syscall 39 (getpid) with the x32 bit set. */
static int check_x32(char **arg)
{
	(void)arg;
	long rc = syscall(__X32_SYSCALL_BIT | 39);
	if (rc < 0)
		return result(rc);
	return report(rc == getpid() ? 0 : EPROTO);
}

/* personality: READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE weaken exploit
 * mitigations; the sandbox should allow only harmless values. VALUE is hex. */
static int check_personality(char **arg)
{
	return result(syscall(SYS_personality, (unsigned long)number(arg[0], 16)));
}

/* --- Namespaces and process creation --------------------------------------- */

static const struct {
	const char *name;
	int flag;
} ns_flags[] = {
	{ "user", CLONE_NEWUSER }, { "mount", CLONE_NEWNS }, { "net", CLONE_NEWNET },
	{ "pid", CLONE_NEWPID },   { "ipc", CLONE_NEWIPC },  { "uts", CLONE_NEWUTS },
	{ "cgroup", CLONE_NEWCGROUP },
};

/* New namespaces (above all user namespaces) hand an unprivileged process
 * capabilities over fresh kernel objects: a huge exploit surface. */
static int check_unshare(char **arg)
{
	for (size_t i = 0; i < sizeof ns_flags / sizeof ns_flags[0]; i++)
		if (strcmp(arg[0], ns_flags[i].name) == 0)
			return result(unshare(ns_flags[i].flag));
	usage();
}

/* The same as unshare user, through the raw clone syscall, which a filter
 * must also cover (it inspects the flags argument). */
static int check_clone_newuser(char **arg)
{
	(void)arg;
	return reap(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0));
}

/* clone3 passes its flags in memory, where seccomp cannot inspect them, so a
 * sandbox must refuse it with ENOSYS (making libc fall back to clone). */
static int check_clone3(char **arg)
{
	(void)arg;
	struct clone_args_v0 args;
	memset(&args, 0, sizeof args);
	args.exit_signal = SIGCHLD;
	return reap(syscall(SYS_clone3, &args, sizeof args));
}

/* Joining another namespace (e.g. the host's /proc/1/ns/mnt) is an escape. */
static int check_setns(char **arg)
{
	int fd = open(arg[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return result(-1);
	return result(setns(fd, 0));
}

/* Changing root is the first step of classic chroot breakouts. */
static int check_chroot(char **arg)
{
	return result(chroot(arg[0]));
}

/* ptrace lets one process take over another (and, with old kernels, escape
 * seccomp by rewriting syscalls). */
static int check_ptrace(char **arg)
{
	(void)arg;
	return result(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
}

static int check_ptrace_attach(char **arg)
{
	pid_t pid = (pid_t)number(arg[0], 10);
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
		return result(-1);
	waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return report(0);
}

/* Resource exhaustion: the sandbox's pids limit must stop a fork bomb.
 * Children pause until killed; all are killed and reaped before exiting. */
static int check_forkbomb(char **arg)
{
	long n = number(arg[0], 10);
	if (n < 1)
		usage();
	pid_t *pids = calloc((size_t)n, sizeof *pids);
	if (!pids)
		return result(-1);
	long forked = 0;
	int err = 0;
	for (; forked < n; forked++) {
		pid_t pid = fork();
		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		pids[forked] = pid;
	}
	for (long i = 0; i < forked; i++)
		kill(pids[i], SIGKILL);
	for (long i = 0; i < forked; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
	if (err == 0) {
		printf("%s: %ld ok\n", check_name, n);
		return 0;
	}
	const char *name = strerrorname_np(err);
	if (name)
		printf("%s: %ld forks ok, then %s\n", check_name, forked, name);
	else
		printf("%s: %ld forks ok, then E%d\n", check_name, forked, err);
	return 1;
}

/* --- Filesystem --------------------------------------------------------------- */

/* Mounting is how an escape reaches host filesystems or hides files. If it
 * succeeds (natively, as root) the mount is detached at once: the probe must
 * never leave a tmpfs over the host's /tmp. */
static int check_mount(char **arg)
{
	(void)arg;
	if (mount("probe", "/tmp", "tmpfs", 0, NULL) < 0)
		return result(-1);
	umount2("/tmp", MNT_DETACH);
	return report(0);
}

/* A device node (here /dev/null, 1:3) is the way to raw disks and memory. */
static int check_mknod(char **arg)
{
	return result(mknod(arg[0], S_IFCHR | 0666, makedev(1, 3)));
}

/* open_by_handle_at: the "shocker" escape, which opens host files by inode
 * number, outside the container's root. Takes a real handle for / when the
 * filesystem gives one, otherwise forges shocker's (ext4 root, inode 2). */
static int check_open_by_handle(char **arg)
{
	(void)arg;
	struct file_handle *handle = malloc(sizeof *handle + MAX_HANDLE_SZ);
	int mount_id;
	int mount_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!handle || mount_fd < 0)
		return result(-1);
	handle->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(mount_fd, ".", handle, &mount_id, 0) < 0) {
		uint32_t forged[2] = { 2, 0 }; /* inode 2, generation 0 */
		handle->handle_type = 1;       /* FILEID_INO32_GEN */
		handle->handle_bytes = sizeof forged;
		memcpy(handle->f_handle, forged, sizeof forged);
	}
	return result(open_by_handle_at(mount_fd, handle, O_RDONLY));
}

/* Writes must fail on read-only mounts and masked paths (EROFS, EACCES). */
static int check_write(char **arg)
{
	int fd = open(arg[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return result(-1);
	return result(write(fd, "x", 1));
}

/* Reads must fail for paths the sandbox hides (host secrets, /proc/kcore). */
static int check_read(char **arg)
{
	char byte;
	int fd = open(arg[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return result(-1);
	return result(read(fd, &byte, 1));
}

/* swapon would let a container push host memory to a file it controls.
 * If it succeeds (natively, as root) swap is turned off again at once. */
static int check_swapon(char **arg)
{
	if (swapon(arg[0], 0) < 0)
		return result(-1);
	swapoff(arg[0]);
	return report(0);
}

/* The exit-status forgery against a microVM's guest init: take any descriptor of
 * any process it can see (pidfd_getfd) and write a forged report line into each
 * one that is not its own stdio, then exit with the given status. "ok" means a
 * descriptor was taken; the run's recorded status must still be the real one. */
static int check_forge(char **arg)
{
	int status = (int)number(arg[0], 10);
	static const char line[] = "exit 0 0 0\napplied 0000000000000000000000000000000000000000000000000000000000000000 forged\n";
	int err = ESRCH, taken = 0;
	for (pid_t pid = 1; pid < 256; pid++) {
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0) {
			if (errno != ESRCH)
				err = errno;
			continue;
		}
		for (int fd = 0; fd < 64; fd++) {
			int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
			if (got < 0) {
				if (errno != EBADF)
					err = errno;
				continue;
			}
			if (pid != getpid() || fd > 2) {
				taken = 1;
				if (write(got, line, sizeof line - 1) < 0)
					err = errno;
			}
			close(got);
		}
		close(pidfd);
	}
	report(taken ? 0 : err);
	fflush(stdout);
	return status;
}

/* --- Host-wide state ----------------------------------------------------------- */

/* Loading a kernel module is arbitrary kernel code execution. The fd is
 * invalid, so even where allowed it fails (EBADF) after the permission check. */
static int check_module(char **arg)
{
	(void)arg;
	return result(syscall(SYS_finit_module, -1, "", 0));
}

/* kexec replaces the running kernel. 0 segments plus an undefined flag bit:
 * the kernel checks permission (EPERM) before flags (EINVAL), so even where
 * allowed this can neither load nor unload a kexec image. */
static int check_kexec(char **arg)
{
	(void)arg;
	return result(syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0x8000UL));
}

/* reboot would take the host down. The magic numbers are invalid, so even
 * where allowed it fails (EINVAL) after the CAP_SYS_BOOT check (EPERM). */
static int check_reboot(char **arg)
{
	(void)arg;
	return result(syscall(SYS_reboot, 0x12345678, 0x12345678, 0, NULL));
}

/* The realtime clock is host-wide. Sets it to the time just read, so success
 * (natively, as root) changes nothing visible. */
static int check_settime(char **arg)
{
	(void)arg;
	struct timespec now;
	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return result(-1);
	return result(syscall(SYS_clock_settime, CLOCK_REALTIME, &now));
}

/* iopl(3) grants raw access to I/O ports (and thereby to hardware). */
static int check_iopl(char **arg)
{
	(void)arg;
	return result(syscall(SYS_iopl, 3));
}

/* --- Environment and plumbing ------------------------------------------------ */

/* Network interfaces visible: a network-isolated sandbox shows only lo. */
static int check_ifaces(char **arg)
{
	(void)arg;
	DIR *dir = opendir("/sys/class/net");
	if (!dir)
		return result(-1);
	struct dirent *entry;
	while ((entry = readdir(dir)))
		if (entry->d_name[0] != '.')
			printf("%s\n", entry->d_name);
	closedir(dir);
	return report(0);
}

/* Sends a signal to itself, to test how 128+N exit codes are reported.
 * Prints nothing if the signal kills the process. */
static int check_signal(char **arg)
{
	return result(kill(getpid(), (int)number(arg[0], 10)));
}

/* Sleeps, to test timeouts and killing a running sandbox. */
static int check_sleep(char **arg)
{
	struct timespec t = { .tv_sec = number(arg[0], 10) };
	return result(nanosleep(&t, NULL));
}

/* --- Dispatch ------------------------------------------------------------------ */

static const struct check {
	const char *name;
	const char *args; /* NULL if the check takes no argument */
	int (*run)(char **arg);
} checks[] = {
	{ "caps", NULL, check_caps },
	{ "uidmap", NULL, check_uidmap },
	{ "setuid", "UID", check_setuid },
	{ "setgroups", NULL, check_setgroups },
	{ "socket", "FAMILY", check_socket },
	{ "io_uring", NULL, check_io_uring },
	{ "bpf", NULL, check_bpf },
	{ "perf", NULL, check_perf },
	{ "userfaultfd", NULL, check_userfaultfd },
	{ "keyctl", NULL, check_keyctl },
	{ "i386", NULL, check_i386 },
	{ "x32", NULL, check_x32 },
	{ "personality", "HEXVALUE", check_personality },
	{ "unshare", "user|mount|net|pid|ipc|uts|cgroup", check_unshare },
	{ "clone-newuser", NULL, check_clone_newuser },
	{ "clone3", NULL, check_clone3 },
	{ "setns", "PATH", check_setns },
	{ "chroot", "PATH", check_chroot },
	{ "ptrace", NULL, check_ptrace },
	{ "ptrace-attach", "PID", check_ptrace_attach },
	{ "forkbomb", "N", check_forkbomb },
	{ "mount", NULL, check_mount },
	{ "mknod", "PATH", check_mknod },
	{ "open-by-handle", NULL, check_open_by_handle },
	{ "write", "PATH", check_write },
	{ "read", "PATH", check_read },
	{ "swapon", "PATH", check_swapon },
	{ "module", NULL, check_module },
	{ "kexec", NULL, check_kexec },
	{ "reboot", NULL, check_reboot },
	{ "settime", NULL, check_settime },
	{ "iopl", NULL, check_iopl },
	{ "ifaces", NULL, check_ifaces },
	{ "signal", "SIGNUM", check_signal },
	{ "sleep", "SECONDS", check_sleep },
	{ "forge", "STATUS", check_forge },
};

static void usage(void)
{
	fprintf(stderr, "usage: probe CHECK [ARG]\n"
			"prints \"CHECK: ok\" (exit 0) or \"CHECK: ERRNAME\" (exit 1); usage errors exit 2\n"
			"checks:\n");
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
		fprintf(stderr, "  %s%s%s\n", checks[i].name, checks[i].args ? " " : "",
			checks[i].args ? checks[i].args : "");
	exit(2);
}

int main(int argc, char **argv)
{
	/* Line-buffered, so lines printed before a fatal signal are not lost. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		if (strcmp(argv[1], checks[i].name) != 0)
			continue;
		if (argc != (checks[i].args ? 3 : 2))
			usage();
		check_name = checks[i].name;
		return checks[i].run(argv + 2);
	}
	usage();
}
