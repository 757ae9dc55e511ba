using System.Text.Json;
using Sandbox.Backends.Container;
using Sandbox.Profiles;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Profiles;

/// <summary>
/// The shipped default against the reference profile the installed engine ships (podman's, from
/// Debian's golang-github-containers-common), for a container with no capabilities on x86-64: the
/// differences in both directions must be exactly the lists documented in docs/seccomp.md. The
/// default must also deny the specific things it promises to be stricter about.
/// </summary>
public class DefaultProfileTests
{
    private const ulong Sigchld = 17;
    private const ulong ThreadFlags = 0x3d0f00; // what glibc's pthread_create passes to clone

    private static readonly ulong[] NamespaceFlags =
        [0x80, 0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

    /// <summary>Installed with podman (Debian: golang-github-containers-common; `make deps`).</summary>
    public const string ReferencePath = "/usr/share/containers/seccomp.json";

    private static SeccompEvaluator Reference()
    {
        Require.That(File.Exists(ReferencePath), $"the engine's reference seccomp profile is missing at {ReferencePath} (make deps installs golang-github-containers-common)");
        // It both allows setns and denies it without CAP_SYS_ADMIN: read as denied (docs/seccomp.md).
        return new SeccompEvaluator(File.ReadAllText(ReferencePath), denyWins: true);
    }

    /// <summary>Syscalls the reference allows (for some tried argument vector) and ours denies; each has its reason in docs/seccomp.md.</summary>
    public static readonly string[] Stricter =
    [
        "clone", "clone3", "epoll_ctl_old", "epoll_wait_old", "fsconfig", "fsmount", "fsopen", "fspick", "get_mempolicy", "keyctl",
        "mbind", "mount", "mount_setattr", "move_mount", "open_tree", "pidfd_getfd", "pivot_root", "process_vm_readv",
        "process_vm_writev", "ptrace", "reboot", "set_mempolicy", "socket", "syslog", "umount2", "unshare",
    ];

    /// <summary>
    /// Syscalls ours allows (for some tried argument vector) and the reference denies: one newer than the
    /// 2022 profile, and NETLINK_AUDIT sockets, useless in a user namespace; each in docs/seccomp.md.
    /// </summary>
    public static readonly string[] AllowedBeyondTheReference = ["futex_waitv", "socket"];

    /// <summary>Argument vectors tried against every syscall: defaults plus the ones the conditions look at.</summary>
    private static IEnumerable<ulong[]> Vectors()
    {
        yield return [];
        yield return [1, 2, 3, 4, 5, 6];
        yield return [ulong.MaxValue, ulong.MaxValue];
        for (ulong family = 0; family <= 45; family++)
        {
            yield return [family, 1, 0]; // socket(family, SOCK_STREAM, 0)
        }

        yield return [16, 3, 9]; // socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT): the reference's one argument rule

        yield return [Sigchld];
        yield return [ThreadFlags];
        foreach (ulong flag in NamespaceFlags)
        {
            yield return [Sigchld | flag];
            yield return [ThreadFlags | flag];
            yield return [flag];
        }

        foreach (ulong persona in new ulong[] { 0, 8, 0x20000, 0x20008, 0xffffffff, 0x0008 | 0x400000, 0x400000, 0x40000, 0x1, 0xffffffffffffffff })
        {
            yield return [persona];
        }
    }

    [Fact]
    public void Where_ours_is_stricter_than_the_reference_is_exactly_the_documented_list()
    {
        AssertSameList(Stricter, Differences(Reference(), SeccompEvaluator.DefaultProfile));
    }

    [Fact]
    public void What_ours_allows_and_the_reference_denies_is_exactly_the_documented_list()
    {
        AssertSameList(AllowedBeyondTheReference, Differences(SeccompEvaluator.DefaultProfile, Reference()));
    }

    [Fact]
    public void Every_listed_difference_has_its_reason_in_the_docs()
    {
        string doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "seccomp.md"));
        Assert.All(Stricter.Concat(AllowedBeyondTheReference), name => Assert.Contains($"| `{name}` |", doc, StringComparison.Ordinal));
    }

    private static void AssertSameList(string[] documented, string[] measured) =>
        Assert.True(documented.SequenceEqual(measured),
            $"documented: [{string.Join(", ", documented)}]\nmeasured:   [{string.Join(", ", measured)}]\n"
            + $"missing from the list: [{string.Join(", ", measured.Except(documented))}]; listed but not a difference: [{string.Join(", ", documented.Except(measured))}]");

    /// <summary>Syscalls that <paramref name="allows"/> allows for at least one vector where <paramref name="denies"/> does not.</summary>
    private static string[] Differences(SeccompEvaluator allows, SeccompEvaluator denies) =>
    [
        .. SyscallTable.Names
            .Where(n => Vectors().Any(args => allows.Evaluate(n, args).Allows && !denies.Evaluate(n, args).Allows))
            .Order(StringComparer.Ordinal),
    ];

    [Theory]
    [InlineData("socket", 40ul)] // AF_VSOCK
    [InlineData("socket", 38ul)] // AF_ALG
    [InlineData("socket", 17ul)] // AF_PACKET
    [InlineData("socket", 0ul)]
    [InlineData("io_uring_setup")]
    [InlineData("io_uring_enter")]
    [InlineData("io_uring_register")]
    [InlineData("clone", Sigchld | 0x10000000)] // CLONE_NEWUSER
    [InlineData("clone", ThreadFlags | 0x40000000)] // CLONE_NEWNET
    [InlineData("unshare", 0x10000000ul)]
    [InlineData("setns")]
    [InlineData("mount")]
    [InlineData("ptrace")]
    [InlineData("process_vm_readv")]
    [InlineData("bpf")]
    [InlineData("perf_event_open")]
    [InlineData("userfaultfd")]
    [InlineData("keyctl")]
    [InlineData("kexec_load")]
    [InlineData("init_module")]
    [InlineData("open_by_handle_at")]
    [InlineData("personality", 0x400008ul)] // PER_LINUX32 | READ_IMPLIES_EXEC
    public void Denies_with_eperm(string syscall, params ulong[] args)
    {
        Assert.Equal(new SeccompVerdict("SCMP_ACT_ERRNO", 1), SeccompEvaluator.DefaultProfile.Evaluate(syscall, args));
    }

    [Fact]
    public void Clone3_answers_enosys_so_libc_falls_back_to_clone()
    {
        Assert.Equal(new SeccompVerdict("SCMP_ACT_ERRNO", 38), SeccompEvaluator.DefaultProfile.Evaluate("clone3"));
    }

    [Theory]
    [InlineData("read")]
    [InlineData("execve")]
    [InlineData("exit_group")]
    [InlineData("clone", Sigchld)]
    [InlineData("clone", ThreadFlags)]
    [InlineData("socket", 1ul)]
    [InlineData("socket", 2ul)]
    [InlineData("socket", 10ul)]
    [InlineData("socket", 16ul)]
    [InlineData("personality", 0xfffffffful)]
    [InlineData("arch_prctl")]
    public void Allows_what_ordinary_programs_need(string syscall, params ulong[] args)
    {
        Assert.True(SeccompEvaluator.DefaultProfile.Evaluate(syscall, args).Allows, $"{syscall} should be allowed");
    }

    [Fact]
    public void Every_group_says_why()
    {
        Assert.All(ProfileCatalog.Resolve("default").Groups, g => Assert.False(string.IsNullOrWhiteSpace(g.Why)));
    }
}
