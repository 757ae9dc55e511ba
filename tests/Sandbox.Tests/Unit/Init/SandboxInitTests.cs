using Sandbox.Backends.Container;
using Sandbox.Backends.Exec;
using Sandbox.Backends.Init;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Backends.MicroVm.Initramfs;
using Sandbox.Host;
using Sandbox.Policy;
using Sandbox.Profiles;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Init;

public sealed class SandboxInitTests
{
    private static readonly OciSeccomp Seccomp = new("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"],
        [new OciSyscallRule(["read", "write"], "SCMP_ACT_ALLOW")]);

    private static ContainerPlan Plan(IReadOnlyList<string> args) => new(
        "sb-0123456789ab", "/var/lib/sandbox/images/busybox/rootfs", args, ["PATH=/usr/bin:/bin"], "/", 0, 0, IdRange.ForSlot(3), "sandbox",
        ResourceLimits.Default, Seccomp)
    {
        InitSource = "/var/lib/sandbox/run/sb-0123456789ab/sandbox-init",
        ExecShimSource = "/var/lib/sandbox/run/sb-0123456789ab/exec-shim",
    };

    [Fact]
    public void Renders_the_config_json_whose_pid_1_is_the_init() =>
        Snapshot.Match("oci-config-init.json", OciSpecBuilder.ToJson(OciSpecBuilder.Build(Plan(["sh", "-c", "sleep 1000"]))));

    [Fact]
    public void The_init_runs_the_workload_after_a_double_dash_from_a_read_only_bind_in_dev()
    {
        var spec = OciSpecBuilder.Build(Plan(["-weird", "arg"]));
        Assert.Equal([SandboxInit.SandboxPath, "--", "-weird", "arg"], spec.Process.Args);
        var mount = Assert.Single(spec.Mounts, m => m.Destination == SandboxInit.SandboxPath);
        Assert.Equal(["bind", "ro", "nosuid", "nodev"], mount.Options);
        Assert.StartsWith("/dev/", SandboxInit.SandboxPath, StringComparison.Ordinal); // the sandbox's fresh tmpfs, never the image
    }

    [Fact]
    public void Without_init_the_workload_is_pid_1_and_nothing_is_bound()
    {
        var spec = OciSpecBuilder.Build(Plan(["sh"]) with { InitSource = null });
        Assert.Equal(["sh"], spec.Process.Args);
        Assert.DoesNotContain(spec.Mounts, m => m.Destination == SandboxInit.SandboxPath);
        Assert.Null(AppliedHardeningReader.FromSpec(spec, "runc", "default").Init);
    }

    [Fact]
    public void The_init_runs_the_exec_shim_when_the_arguments_are_bytes()
    {
        string bytes = ByteString.Decode([0xff, (byte)'x']);
        var spec = OciSpecBuilder.Build(Plan(["cat", bytes]));
        Assert.Equal([SandboxInit.SandboxPath, "--", ExecShim.SandboxPath, "0"], spec.Process.Args.Take(4));
        Assert.Contains(spec.Mounts, m => m.Destination == ExecShim.SandboxPath);
    }

    [Fact]
    public void The_audit_records_the_init_and_not_as_a_volume()
    {
        var applied = AppliedHardeningReader.FromSpec(OciSpecBuilder.Build(Plan(["sh"])), "runc", "default");
        Assert.Equal("sandbox-init", applied.Init);
        Assert.Empty(applied.Volumes);
    }

    [Fact]
    public void The_guest_binds_the_init_from_its_initramfs()
    {
        var spec = GuestOciSpec.Build(new GuestPlan(["sh"], ["PATH=/usr/bin:/bin"], "/", 0, 0, "sandbox", ResourceLimits.Default, Seccomp, []) { Init = true });
        Assert.Equal(SandboxInit.GuestPath, Assert.Single(spec.Mounts, m => m.Destination == SandboxInit.SandboxPath).Source);
        Assert.Equal([SandboxInit.SandboxPath, "--", "sh"], spec.Process.Args);
        Assert.Equal(SandboxInit.GuestPath.TrimStart('/'), InitramfsBuilder.SandboxInitFile.GuestPath);
        var entries = InitramfsBuilder.Entries([1], "#!/bin/sh\n", [], [InitramfsBuilder.SandboxInitFile]);
        Assert.Contains(entries, e => e.Path == SandboxInit.GuestPath.TrimStart('/'));
    }

    [Fact]
    public void The_embedded_init_is_a_static_executable()
    {
        var linkage = ElfDependencies.Read(SandboxInit.Binary, "sandbox-init");
        Assert.Null(linkage.Interpreter); // no loader, no libraries: it runs in any root
        Assert.Empty(linkage.Needed);
    }

    [Fact]
    public void Every_system_call_the_init_makes_is_allowed_by_the_default_profile()
    {
        // strace -f of the init (static glibc start-up, the fork, the child's process group and
        // terminal, the signal loop, reaping, forwarding, the exec), with the arguments it passes
        // where the profile looks at them.
        var filter = SeccompEvaluator.DefaultProfile;
        const ulong ForkFlags = 0x01000000 | 0x00200000 | 17; // CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD
        (string Call, ulong[] Args)[] calls =
        [
            ("brk", []), ("arch_prctl", [0x1002 /* ARCH_SET_FS */]), ("set_tid_address", []), ("set_robust_list", []), ("rseq", []),
            ("prlimit64", []), ("readlink", []), ("getrandom", []), ("mprotect", []), ("getpid", []),
            ("prctl", [36 /* PR_SET_CHILD_SUBREAPER */, 1]), ("rt_sigprocmask", []), ("clone", [ForkFlags]), ("setpgid", []),
            ("ioctl", [0, 0x5401 /* TCGETS */]), ("getpgid", []), ("ioctl", [0, 0x5410 /* TIOCSPGRP */]), ("execve", []),
            ("rt_sigtimedwait", []), ("wait4", []), ("kill", [2, 15]), ("write", []), ("exit_group", []),
        ];
        Assert.All(calls, c => Assert.True(filter.Evaluate(c.Call, c.Args).Allows, $"{c.Call}: {filter.Evaluate(c.Call, c.Args)}"));
    }
}
