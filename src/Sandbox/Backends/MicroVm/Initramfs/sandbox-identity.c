/*
 * sandbox-identity: run by guest init before every workload, so that clones restored from one VM
 * template (docs/templates.md) never share their randomness or their clock:
 *
 *     sandbox-identity HEX SECONDS NANOSECONDS
 *
 * credits the host's random bytes HEX (from its getrandom) to the input pool (RNDADDENTROPY),
 * forces the CRNG to reseed from it at once (RNDRESEEDCRNG: every later read of /dev/urandom,
 * getrandom, AT_RANDOM and the lazily made boot_id derive from the new key), and sets the wall
 * clock to the host's (the restored guest's clock stopped when the template was saved).
 * No allocation beyond the stack, no file it writes: exit 0 or a one-line reason and 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_BYTES 256

static int die(const char *what)
{
    fprintf(stderr, "sandbox-identity: %s: %s\n", what, errno ? strerror(errno) : "bad argument");
    return 1;
}

static int nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int main(int argc, char **argv)
{
    struct {
        struct rand_pool_info info;
        unsigned char bytes[MAX_BYTES];
    } pool;
    size_t len, i;
    char *end;
    struct timespec now;
    int fd;

    errno = 0;
    if (argc != 4 || (len = strlen(argv[1])) == 0 || len % 2 || len / 2 > MAX_BYTES) {
        return die("usage: sandbox-identity HEX SECONDS NANOSECONDS");
    }

    for (i = 0; i < len / 2; i++) {
        int hi = nibble(argv[1][2 * i]), lo = nibble(argv[1][2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return die("HEX is not lowercase hex");
        }
        pool.bytes[i] = (unsigned char)(hi << 4 | lo);
    }

    pool.info.entropy_count = (int)(len / 2 * 8); /* the host's getrandom output is full entropy */
    pool.info.buf_size = (int)(len / 2);
    now.tv_sec = strtoll(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || now.tv_sec <= 0) {
        return die("SECONDS is not a positive number");
    }
    now.tv_nsec = strtol(argv[3], &end, 10);
    if (*argv[3] == '\0' || *end != '\0' || now.tv_nsec < 0 || now.tv_nsec > 999999999) {
        return die("NANOSECONDS is not in 0..999999999");
    }

    if ((fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC)) < 0) {
        return die("open /dev/urandom");
    }
    if (ioctl(fd, RNDADDENTROPY, &pool) != 0) {
        return die("RNDADDENTROPY");
    }
    if (ioctl(fd, RNDRESEEDCRNG) != 0) {
        return die("RNDRESEEDCRNG");
    }
    close(fd);
    explicit_bzero(&pool, sizeof pool);
    if (clock_settime(CLOCK_REALTIME, &now) != 0) {
        return die("clock_settime");
    }
    return 0;
}
