using System.Text;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Policy;

namespace Sandbox.Tests.Unit.Analysis;

/// <summary>What analyze changes in the guest's spec and config: nothing else than the header word, a writable root, no /tmp tmpfs and a seccomp filter that logs.</summary>
public sealed class AnalysisGuestSpecTests
{
    private static readonly OciSeccomp Seccomp = new("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"], [new OciSyscallRule(["read"], "SCMP_ACT_ALLOW")]);

    private static GuestPlan Plan() => new(["/sample/x"], ["PATH=/bin"], "/", 0, 0, "sandbox", ResourceLimits.Default, Seccomp,
        [new GuestMount("vol0", "/sample", ReadOnly: true)]);

    [Fact]
    public void The_header_ends_in_analyze_only_for_an_analysis()
    {
        Assert.Equal("spec 2 0 0 analyze\n{}", Encoding.UTF8.GetString(GuestSpec.Message("{}"u8.ToArray(), stdin: false, analyze: true)));
        Assert.Equal("spec 2 0 0\n{}", Encoding.UTF8.GetString(GuestSpec.Message("{}"u8.ToArray(), stdin: false)));
    }

    [Fact]
    public void An_analysis_writes_into_the_overlay_with_every_other_setting_of_a_run()
    {
        var run = GuestOciSpec.Build(Plan());
        var analysis = GuestOciSpec.Build(Plan() with { Analysis = true });
        Assert.True(run.Root.Readonly);
        Assert.False(analysis.Root.Readonly);
        Assert.Contains(run.Mounts, m => m.Destination == "/tmp");
        Assert.DoesNotContain(analysis.Mounts, m => m.Destination == "/tmp");
        Assert.Equal(["SECCOMP_FILTER_FLAG_LOG"], analysis.Linux.Seccomp!.Flags!); // the same filter, logging its refusals
        Assert.Null(run.Linux.Seccomp!.Flags);
        var undone = analysis with { Root = run.Root, Mounts = run.Mounts, Linux = analysis.Linux with { Seccomp = run.Linux.Seccomp } };
        Assert.Equal(OciSpecBuilder.ToJson(run), OciSpecBuilder.ToJson(undone));
        var sample = Assert.Single(analysis.Mounts, m => m.Destination == "/sample");
        Assert.Equal(["rbind", "nosuid", "nodev", "ro"], sample.Options);
    }

    [Fact]
    public void The_guest_config_of_an_analysis_is_pinned() =>
        Support.Snapshot.Match("guest-oci-config-analyze.json", OciSpecBuilder.ToJson(GuestOciSpec.Build(Plan() with { Analysis = true })));
}
