using Sandbox.Backends.Container;
using Sandbox.Backends.Exec;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Host;
using Sandbox.Policy;
using Sandbox.Profiles;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Exec;

public sealed class ExecShimTests
{
    private static readonly OciSeccomp Seccomp = new("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"],
        [new OciSyscallRule(["read", "write"], "SCMP_ACT_ALLOW")]);

    private static readonly string Bytes = ByteString.Decode([0xff, 0xfe, (byte)' ', (byte)'c', (byte)'a', (byte)'f', 0xe9]);

    private static ContainerPlan Plan(IReadOnlyList<string> args, IReadOnlyList<string> env) => new(
        "sb-0123456789ab", "/var/lib/sandbox/images/busybox/rootfs", args, env, "/", 0, 0, IdRange.ForSlot(3), "sandbox",
        ResourceLimits.Default, Seccomp)
    {
        ExecShimSource = "/var/lib/sandbox/run/sb-0123456789ab/exec-shim",
    };

    [Fact]
    public void Renders_the_config_json_that_runs_the_exec_shim() =>
        Snapshot.Match("oci-config-exec-shim.json", OciSpecBuilder.ToJson(OciSpecBuilder.Build(
            Plan(["od", "-c", Bytes], ["PATH=/usr/bin:/bin", "HOME=/root", "BYTES=" + Bytes])))); // plain ASCII JSON

    [Fact]
    public void A_utf8_workload_never_sees_the_shim()
    {
        var spec = OciSpecBuilder.Build(Plan(["echo", "grüß"], ["PATH=/usr/bin:/bin", "GREETING=grüß"]));
        Assert.Equal(["echo", "grüß"], spec.Process.Args);
        Assert.DoesNotContain(spec.Mounts, m => m.Destination == ExecShim.SandboxPath);
    }

    [Fact]
    public void Bytes_in_the_environment_alone_bring_the_shim_and_only_those_entries_move()
    {
        var spec = OciSpecBuilder.Build(Plan(["env"], ["PATH=/usr/bin:/bin", "BYTES=" + Bytes]));
        Assert.Equal([ExecShim.SandboxPath, "1", Hex("BYTES=" + Bytes), Hex("env")], spec.Process.Args);
        Assert.Equal(["PATH=/usr/bin:/bin"], spec.Process.Env);
        var shim = Assert.Single(spec.Mounts, m => m.Destination == ExecShim.SandboxPath);
        Assert.Equal(["bind", "ro", "nosuid", "nodev"], shim.Options);
    }

    [Fact]
    public void The_shim_s_mount_is_not_recorded_as_a_volume()
    {
        var spec = OciSpecBuilder.Build(Plan(["cat", Bytes], []));
        Assert.Empty(AppliedHardeningReader.FromSpec(spec, "runc", "default").Volumes);
    }

    [Fact]
    public void A_plan_that_needs_the_shim_must_say_where_it_is() =>
        Assert.Throws<InvalidOperationException>(() => OciSpecBuilder.Build(Plan(["cat", Bytes], []) with { ExecShimSource = null }));

    [Fact]
    public void The_guest_binds_the_shim_from_its_initramfs()
    {
        var spec = GuestOciSpec.Build(new GuestPlan(["cat", Bytes], ["PATH=/usr/bin:/bin"], "/", 0, 0, "sandbox", ResourceLimits.Default, Seccomp, []));
        Assert.Equal(ExecShim.GuestPath, Assert.Single(spec.Mounts, m => m.Destination == ExecShim.SandboxPath).Source);
        Assert.Equal(ExecShim.GuestPath.TrimStart('/'), Sandbox.Backends.MicroVm.Initramfs.InitramfsBuilder.ExecShimFile.GuestPath);
    }

    [Fact]
    public void The_embedded_shim_is_a_static_executable()
    {
        var linkage = Sandbox.Backends.MicroVm.Initramfs.ElfDependencies.Read(ExecShim.Binary, "exec-shim");
        Assert.Null(linkage.Interpreter); // no loader, no libraries: it runs in any root
        Assert.Empty(linkage.Needed);
    }

    [Fact]
    public void Every_system_call_the_shim_makes_is_allowed_by_the_default_profile()
    {
        // strace of the shim (static glibc start-up, the environment it builds, the exec), with the
        // arguments it passes where the profile looks at them.
        var filter = SeccompEvaluator.DefaultProfile;
        string[] calls = ["brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "readlink", "getrandom", "mprotect", "execve", "write", "exit_group"];
        Assert.All(calls, c => Assert.True(filter.Evaluate(c, c == "arch_prctl" ? 0x1002UL /* ARCH_SET_FS */ : 0).Allows, $"{c}: {filter.Evaluate(c)}"));
    }

    private static string Hex(string s) => Convert.ToHexStringLower(ByteString.Encode(s));
}
