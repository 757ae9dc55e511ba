using System.Text;
using Sandbox.Backends;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Lifecycle.Copy;
using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Container;

/// <summary>exec's process.json: the applied process with only the command, env additions, directory, user and terminal changed.</summary>
public sealed class ExecProcessBuilderTests
{
    private static OciProcess Applied() => OciSpecBuilder.Build(new ContainerPlan(
        "sb-0123456789ab", "/rootfs", ["sleep", "300"], ["PATH=/usr/bin:/bin", "HOME=/root", "KEEP=1"], "/srv", 1000, 1000, IdRange.ForSlot(3), "sandbox",
        ResourceLimits.Default, new OciSeccomp("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"], []))).Process;

    [Fact]
    public void Renders_the_exec_process_from_the_applied_one()
    {
        var request = new ExecRequest(["sh", "-c", "id"], ["HOME=/tmp", "NEW=x"], "/tmp", (2000u, 2001u), Interactive: true, Tty: false);
        Snapshot.Match("exec-process.json", Encoding.UTF8.GetString(ExecProcessBuilder.ToUtf8Json(ExecProcessBuilder.Build(Applied(), request))));
    }

    [Fact]
    public void Keeps_every_hardening_field_and_the_workloads_user_and_directory_by_default()
    {
        var applied = Applied();
        var exec = ExecProcessBuilder.Build(applied, new ExecRequest(["true"], [], null, null, Interactive: false, Tty: false));
        Assert.Same(applied.User, exec.User);
        Assert.Equal(applied.Cwd, exec.Cwd);
        Assert.Equal(applied.Env, exec.Env);
        Assert.Same(applied.Capabilities, exec.Capabilities);
        Assert.Empty(exec.Capabilities.Bounding);
        Assert.True(exec.NoNewPrivileges);
        Assert.Same(applied.Rlimits, exec.Rlimits);
        Assert.Equal(applied.OomScoreAdj, exec.OomScoreAdj);
        Assert.Equal(["true"], exec.Args);
    }

    [Fact]
    public void A_terminal_exec_is_told_it_talks_to_an_xterm_unless_the_workload_or_e_says_otherwise()
    {
        var applied = Applied();
        Assert.Contains("TERM=xterm", ExecProcessBuilder.Build(applied, new ExecRequest(["sh"], [], null, null, Interactive: true, Tty: true)).Env);
        Assert.DoesNotContain(ExecProcessBuilder.Build(applied, new ExecRequest(["sh"], [], null, null, Interactive: true, Tty: false)).Env, e => e.StartsWith("TERM=", StringComparison.Ordinal));
        Assert.Contains("TERM=vt100", ExecProcessBuilder.Build(applied, new ExecRequest(["sh"], ["TERM=vt100"], null, null, Interactive: true, Tty: true)).Env);
        var own = applied with { Env = [.. applied.Env, "TERM=linux"] };
        Assert.Equal(["TERM=linux"], ExecProcessBuilder.Build(own, new ExecRequest(["sh"], [], null, null, Interactive: true, Tty: true)).Env.Where(e => e.StartsWith("TERM=", StringComparison.Ordinal)));
    }

    [Fact]
    public void Reads_the_process_back_from_a_rendered_config() =>
        Assert.Equal(["sleep", "300"], ExecProcessBuilder.AppliedProcess(OciSpecBuilder.ToUtf8Json(OciSpecBuilder.Build(new ContainerPlan(
            "sb-0123456789ab", "/rootfs", ["sleep", "300"], [], "/", 0, 0, IdRange.ForSlot(3), "sandbox", ResourceLimits.Default,
            new OciSeccomp("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"], []))))).Args);

    [Theory]
    [InlineData("box:/tmp/x", "box", "/tmp/x")]
    [InlineData("sb-0123456789ab:/", "sb-0123456789ab", "/")]
    [InlineData("./box:/tmp", null, "./box:/tmp")]
    [InlineData("/host/a:b", null, "/host/a:b")]
    [InlineData("-", null, "-")]
    [InlineData("file.txt", null, "file.txt")]
    public void Cp_arguments_are_sandbox_paths_when_a_colon_comes_before_any_slash(string arg, string? sandbox, string path) =>
        Assert.Equal(new CopyEndpoint(sandbox, path), CopyEndpoint.Parse(arg));

    [Fact]
    public void A_relative_sandbox_path_is_refused_and_dot_dot_never_climbs_above_the_root()
    {
        Assert.Equal(125, Assert.Throws<SandboxException>(() => CopyEndpoint.Parse("box:tmp")).ExitCode);
        Assert.Equal(["etc"], CopyEndpoint.Components("/../../tmp/../etc/."));
    }

    [Fact]
    public void Exec_reports_are_parsed_and_bad_ones_ignored()
    {
        Assert.Equal(new ControlMessage.ExecDone(4, 127, 0, 31, 0), ControlMessage.Parse("execdone 4 127 0 31 0\n"));
        Assert.Equal(new ControlMessage.ExecDone(5, 1, 0, 0, 88), ControlMessage.Parse("execdone 5 1 0 0 88"));
        Assert.Null(ControlMessage.Parse("execdone 4 256 0 0 0"));
        Assert.Null(ControlMessage.Parse("execdone 4 1 -1 0 0"));
        Assert.Null(ControlMessage.Parse("execdone 4 1 0 0")); // crun's error length is part of every report
        Assert.Null(ControlMessage.Parse("execdone 4 1 0"));
        Assert.Equal("exec 7 120 0\n", ControlMessage.Exec(7, 120, 0));
    }
}
