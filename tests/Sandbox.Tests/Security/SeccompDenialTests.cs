using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// Runs one attack per denied syscall group natively (unconfined root) and inside the hardened
/// container, and asserts the sandbox refused it. A check that fails natively too (the host kernel
/// lacks the feature) still must fail inside, but only a native success proves the filter.
/// </summary>
public sealed class SeccompDenialTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    public static TheoryData<string[], string> Attacks => new()
    {
        { ["socket", "AF_VSOCK"], "EPERM" },
        { ["socket", "AF_ALG"], "EPERM" },
        { ["socket", "AF_PACKET"], "EPERM" },
        { ["io_uring"], "EPERM" },
        { ["unshare", "user"], "EPERM" },
        { ["unshare", "mount"], "EPERM" },
        { ["clone-newuser"], "EPERM" },
        { ["clone3"], "ENOSYS" },
        { ["ptrace"], "EPERM" },
        { ["mount"], "EPERM" },
        { ["bpf"], "EPERM" },
        { ["perf"], "EPERM" },
        { ["userfaultfd"], "EPERM" },
        { ["keyctl"], "EPERM" },
        { ["setns", "/proc/self/ns/net"], "EPERM" },
        { ["open-by-handle"], "EPERM" },
        { ["reboot"], "EPERM" },
        { ["settime"], "EPERM" },
        { ["swapon", "/tmp"], "EPERM" },
        { ["personality", "0x400000"], "EPERM" },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public void Denied_inside_the_sandbox(string[] attack, string expectedErrno)
    {
        var native = ProbeBinary.RunNative(attack);
        var sandboxed = _cli.Run(["run", "--trust", "trusted", ProbeImage.Path, "/probe", .. attack], stdin: null);
        var verdict = ProbeBinary.ParseOutput(sandboxed.Stdout);
        Assert.False(verdict.Ok, $"{string.Join(' ', attack)} succeeded in the sandbox\n{sandboxed}");
        Assert.Equal(expectedErrno, verdict.ErrnoName);
        Assert.NotEqual(native.Stdout.Trim(), sandboxed.Stdout.Trim()); // the sandbox, not the host, made the difference
    }

    [Fact]
    public void Plain_sockets_still_work()
    {
        var verdict = ProbeBinary.ParseOutput(_cli.Run(["run", "--trust", "trusted", ProbeImage.Path, "/probe", "socket", "AF_INET"], stdin: null).Stdout);
        Assert.True(verdict.Ok);
    }

    [Fact]
    public void The_i386_syscall_table_is_not_a_way_around_the_filter()
    {
        var native = ProbeBinary.RunNative("i386");
        // Some kernels (ia32_emulation=0) and hypervisors have no usable 32-bit entry: int 0x80 kills the
        // probe natively (SIGSEGV) and there is no attack to refuse. Unit/Profiles/ArchitectureCheckTests
        // proves the filter kills every non-x86-64 call on any host.
        bool entryWorks = native.ExitCode == 0 && ProbeBinary.ParseOutput(native.Stdout).Ok;
        Require.HostHas(entryWorks,
            $"the host has no usable 32-bit syscall entry: int 0x80 natively gave {Describe(native)}, so there is no attack to refuse here");
        var sandboxed = _cli.Run(["run", "--trust", "trusted", ProbeImage.Path, "/probe", "i386"], stdin: null);
        bool refused = sandboxed.ExitCode == 128 + 31 // SIGSYS: the arch check killed it
            || (sandboxed.Stdout.Contains("i386:", StringComparison.Ordinal) && !ProbeBinary.ParseOutput(sandboxed.Stdout).Ok);
        Assert.True(refused, $"an i386 syscall got through\n{sandboxed}");
    }

    private static string Describe(ProbeRun native) => native.ExitCode > 128
        ? $"death by signal {native.ExitCode - 128}"
        : $"exit {native.ExitCode}, '{native.Stdout.Trim()}'";

    public void Dispose() => _cli.Dispose();
}
