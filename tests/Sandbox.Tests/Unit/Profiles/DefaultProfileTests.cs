using System.Text.Json;
using Sandbox.Backends.Container;
using Sandbox.Profiles;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Profiles;

/// <summary>
/// The shipped default must never allow what Docker's default denies to a container with no
/// capabilities on x86-64, and must deny the specific things it promises to be stricter about.
/// </summary>
public class DefaultProfileTests
{
    private const ulong Sigchld = 17;
    private const ulong ThreadFlags = 0x3d0f00; // what glibc's pthread_create passes to clone

    private static readonly ulong[] NamespaceFlags =
        [0x80, 0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

    private static readonly Lazy<SeccompEvaluator> Ours = new(() =>
        new SeccompEvaluator(JsonSerializer.Serialize(OciSeccompEmitter.Emit(ProfileCatalog.Resolve("default")), OciJsonContext.Default.OciSeccomp)));

    private static SeccompEvaluator Docker()
    {
        string path = RepoPaths.Reference("docker-default-seccomp.json");
        Require.That(File.Exists(path), $"Docker's reference profile is missing at {path}");
        return new SeccompEvaluator(File.ReadAllText(path));
    }

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
    public void Everything_ours_allows_docker_allows_too()
    {
        SeccompEvaluator docker = Docker();
        var violations = new List<string>();
        foreach (string syscall in SyscallTable.Names)
        {
            foreach (ulong[] args in Vectors())
            {
                if (Ours.Value.Evaluate(syscall, args).Allows && !docker.Evaluate(syscall, args).Allows)
                {
                    violations.Add($"{syscall}({string.Join(", ", args.Select(a => $"0x{a:x}"))})");
                }
            }
        }

        Assert.True(violations.Count == 0, "allowed by ours but denied by Docker: " + string.Join("; ", violations));
    }

    [Fact]
    public void Where_ours_is_stricter_than_docker_is_exactly_the_documented_list()
    {
        SeccompEvaluator docker = Docker();
        string[] stricter =
        [
            .. SyscallTable.Names.Where(n => docker.Evaluate(n).Allows && !Ours.Value.Evaluate(n).Allows).Order(StringComparer.Ordinal),
        ];

        // socket appears because socket(0 = AF_UNSPEC) is not one of our families.
        Assert.Equal(["epoll_ctl_old", "epoll_wait_old", "process_vm_readv", "process_vm_writev", "ptrace", "socket"], stricter);
    }

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
        Assert.Equal(new SeccompVerdict("SCMP_ACT_ERRNO", 1), Ours.Value.Evaluate(syscall, args));
    }

    [Fact]
    public void Clone3_answers_enosys_so_libc_falls_back_to_clone()
    {
        Assert.Equal(new SeccompVerdict("SCMP_ACT_ERRNO", 38), Ours.Value.Evaluate("clone3"));
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
        Assert.True(Ours.Value.Evaluate(syscall, args).Allows, $"{syscall} should be allowed");
    }

    [Fact]
    public void Every_group_says_why()
    {
        Assert.All(ProfileCatalog.Resolve("default").Groups, g => Assert.False(string.IsNullOrWhiteSpace(g.Why)));
    }
}
