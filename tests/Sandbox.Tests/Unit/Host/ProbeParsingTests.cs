using Sandbox.Host;
using Sandbox.Host.Probes;

namespace Sandbox.Tests.Unit.Host;

/// <summary>The pure halves of the file and command probes, fed with captured text.</summary>
public sealed class ProbeParsingTests
{
    private const string Status = "Name:\tcat\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n";
    private const string Actions = "kill_process kill_thread trap errno user_notif trace log allow\n";

    [Fact]
    public void Seccomp_with_filter_actions_is_ok()
    {
        SeccompResult r = SeccompProbe.Evaluate(Status, Actions);
        Assert.True(r.Ok);
        Assert.Equal(0, r.Mode);
        Assert.Equal(8, r.Actions.Count);
        Assert.Null(r.Remedy);
    }

    [Fact]
    public void Seccomp_notes_a_process_already_under_a_filter() =>
        Assert.Contains("already runs under a filter", SeccompProbe.Evaluate(Status.Replace("Seccomp:\t0", "Seccomp:\t2", StringComparison.Ordinal), Actions).Detail, StringComparison.Ordinal);

    [Theory]
    [InlineData("Name:\tcat\n", Actions, "no Seccomp field")]
    [InlineData(Status, null, "actions_avail missing")]
    [InlineData(Status, "allow log\n", "missing filter actions errno, kill_process")]
    public void Seccomp_without_support_says_why(string status, string? actions, string expected)
    {
        SeccompResult r = SeccompProbe.Evaluate(status, actions);
        Assert.False(r.Ok);
        Assert.Contains(expected, r.Detail, StringComparison.Ordinal);
        Assert.Contains("CONFIG_SECCOMP_FILTER", r.Remedy, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nodev\tsysfs\nnodev\toverlay\n\text4\n", true)]
    [InlineData("nodev\tsysfs\n\text4\n", false)]
    [InlineData("nodev\toverlayfs-not\n", false)]
    public void Overlay_is_found_by_exact_name(string filesystems, bool ok)
    {
        OverlayResult r = OverlayProbe.Evaluate(filesystems);
        Assert.Equal(ok, r.Ok);
        Assert.Equal(!ok, r.Remedy?.StartsWith("modprobe overlay", StringComparison.Ordinal) ?? false);
    }

    [Theory]
    [InlineData("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n", "1.1.5+ds1")]
    [InlineData("crun version 1.8.1\ncommit: f8a096be\nrundir: /run/crun\n", "1.8.1")]
    [InlineData("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n", "7.2.22")]
    [InlineData("no version here\n", null)]
    public void Version_lines_are_parsed(string stdout, string? expected) =>
        Assert.Equal(expected, OciRuntimeProbe.ParseVersionLine(stdout));

    [Fact]
    public void A_runtime_is_assessed_against_its_own_cves()
    {
        var output = new CommandOutput(0, "runc version 1.1.5+ds1\n", string.Empty, null);
        OciRuntimeResult r = OciRuntimeProbe.Evaluate("runc", "/usr/sbin/runc", output, debianPackage: true);
        Assert.True(r.Ok);
        Assert.Equal("1.1.5+ds1", r.Version);
        Assert.Equal("/usr/sbin/runc 1.1.5+ds1 (Debian package)", r.Detail);
        Assert.Equal(RuntimeCveTable.For("runc").Count(), r.Cves.Count);
        Assert.Contains(r.Cves, c => c.Id == "CVE-2024-21626" && c.Status == CveStatus.PredatesFix);
    }

    [Fact]
    public void A_runtime_that_fails_to_report_is_not_ok()
    {
        var output = new CommandOutput(1, string.Empty, "exec format error\n", null);
        OciRuntimeResult r = OciRuntimeProbe.Evaluate("crun", "/usr/bin/crun", output, debianPackage: false);
        Assert.False(r.Ok);
        Assert.Contains("exec format error", r.Detail, StringComparison.Ordinal);
        Assert.All(r.Cves, c => Assert.Equal(CveStatus.Unknown, c.Status));
    }

    [Fact]
    public void Qemu_needs_the_microvm_machine()
    {
        var version = new CommandOutput(0, "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n", string.Empty, null);
        var with = new CommandOutput(0, "Supported machines are:\nmicrovm              microvm (i386)\npc                   Standard PC\n", string.Empty, null);
        var without = new CommandOutput(0, "Supported machines are:\npc                   Standard PC\nmicrovm-like         not it\n", string.Empty, null);

        QemuResult ok = QemuProbe.Evaluate("/usr/bin/qemu-system-x86_64", version, with);
        Assert.True(ok.Ok);
        Assert.Equal("7.2.22", ok.Version);

        QemuResult no = QemuProbe.Evaluate("/usr/bin/qemu-system-x86_64", version, without);
        Assert.False(no.Ok);
        Assert.False(no.Microvm);
        Assert.Contains("apt-get install qemu-system-x86", no.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void User_namespaces_report_success_and_the_limit()
    {
        var limits = new UserNamespaceLimits(96365, null, null, IsRoot: true);
        UserNamespaceResult r = UserNamespaceProbe.Evaluate(new CommandOutput(0, string.Empty, string.Empty, null), limits);
        Assert.True(r.Ok);
        Assert.Equal(96365, r.MaxUserNamespaces);
        Assert.Contains("max_user_namespaces=96365", r.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L, null, null, true, "sysctl -w user.max_user_namespaces=65536")]
    [InlineData(1000L, 1L, null, false, "run as root, or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0")]
    [InlineData(1000L, null, 0L, false, "run as root, or sysctl -w kernel.unprivileged_userns_clone=1")]
    [InlineData(1000L, 1L, 0L, true, "use a kernel built with CONFIG_USER_NS=y")]
    public void User_namespace_failures_get_a_matching_remedy(long max, long? apparmor, long? clone, bool root, string remedy)
    {
        var failed = new CommandOutput(1, string.Empty, "unshare: unshare failed: Operation not permitted\n", null);
        UserNamespaceResult r = UserNamespaceProbe.Evaluate(failed, new UserNamespaceLimits(max, apparmor, clone, root));
        Assert.False(r.Ok);
        Assert.Contains("Operation not permitted", r.Detail, StringComparison.Ordinal);
        Assert.Equal(remedy, r.Remedy);
    }

    [Fact]
    public void Missing_unshare_says_to_install_util_linux() =>
        Assert.Equal("apt-get install util-linux", UserNamespaceProbe.Evaluate(null, new UserNamespaceLimits(10, null, null, true)).Remedy);

    [Fact]
    public void Executables_are_found_only_in_absolute_path_entries()
    {
        Assert.Equal("/bin/sh", ExecutableLocator.Find("sh", "relative/dir:/bin"));
        Assert.Null(ExecutableLocator.Find("sh", "bin:relative"));
        Assert.Null(ExecutableLocator.Find("passwd", "/etc")); // exists, but not executable
    }
}
