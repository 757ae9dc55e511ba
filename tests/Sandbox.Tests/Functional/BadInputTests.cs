using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// Bad input found by trying the CLI as a new user: each is exit 125 with one clear line naming the
/// thing at fault (JSON on stderr with --json), never a .NET stack trace or exit 134, and the state
/// root is left exactly as it was.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    public BadInputTests()
    {
        Assert.Equal(0, _cli.Run("volume", "create", "before").ExitCode); // a state root with something in it
    }

    public static TheoryData<string[], string> Refused => new()
    {
        { ["run", "--trust", "trusted", "--memory", "1k", "busybox", "true"], "sandbox: --memory: '1k' is below the minimum of 8M" },
        { ["run", "--trust", "trusted", "--timeout", "1.5", "busybox", "true"], "sandbox: --timeout: '1.5' has no unit" },
        { ["run", "--trust", "trusted", "--policy", "/tmp", "busybox", "true"], "sandbox: --policy: '/tmp' is a directory, not a policy file" },
        { ["policy", "validate", "/tmp"], "sandbox: policy validate: '/tmp' is a directory, not a policy file" },
        { ["image", "rm", "busybox"], "sandbox: image rm: 'busybox' is the built-in image and cannot be removed" },
        { ["run", "--trust", "trusted", "--name", "web", "busybox", "true"], "sandbox: --name: only a detached sandbox (-d) has a name" },
        { ["volume", "create", "tiny", "--size", "1k"], "sandbox: --size: 1024 bytes is below the 1M a volume needs" }, // was mkfs.ext4's own error
        { ["logs", "--tail", "abc", "web"], "sandbox: --tail: 'abc' is not a whole number" }, // was "as expected type 'System.Nullable`1[System.Int32]'"
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Is_refused_with_one_line_and_leaves_the_state_root_as_it_was(string[] args, string firstLine)
    {
        string[] before = Listing(_cli.StateRoot);
        var run = _cli.Run(args, stdin: null);
        AssertOneLineError(run, firstLine);
        Assert.Equal(before, Listing(_cli.StateRoot));
    }

    [Fact]
    public void An_empty_root_flag_or_variable_is_refused_not_a_crash()
    {
        AssertOneLineError(SandboxCli.RunRaw(["--root", "", "run", "busybox", "true"]), "sandbox: --root: the state directory must be a path, not ''");
        AssertOneLineError(SandboxCli.RunRaw(["image", "ls"], new Dictionary<string, string> { ["SANDBOX_ROOT"] = "" }),
            "sandbox: SANDBOX_ROOT: the state directory must be a path, not ''");
    }

    [Theory]
    [InlineData("/proc", "sandbox: --root: '/proc' is on proc, a kernel pseudo file system, not a place for state")]
    [InlineData("/sys/kernel/sandbox-state", "sandbox: --root: '/sys/kernel/sandbox-state' is on sysfs, a kernel pseudo file system, not a place for state")]
    [InlineData("/etc/hostname", "sandbox: --root: '/etc/hostname' exists and is not a directory")]
    public void A_state_root_that_cannot_hold_state_is_refused(string root, string firstLine)
    {
        AssertOneLineError(SandboxCli.RunRaw(["--root", root, "run", "--trust", "trusted", "busybox", "true"]), firstLine);
        Assert.False(Directory.Exists("/sys/kernel/sandbox-state"));
    }

    [Fact]
    public void Any_number_of_workload_arguments_reaches_the_workload()
    {
        // System.CommandLine caps an argument at 100,000 values; the workload's command line bypasses the parser.
        string[] many = [.. Enumerable.Range(1, 120_000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        var run = _cli.Run(["run", "--trust", "trusted", "busybox", "sh", "-c", "echo $# ${120000}", "sh", .. many], stdin: null);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("120000 120000\n", run.Stdout);
    }

    [Fact]
    public void With_json_errors_are_one_json_object_on_stderr()
    {
        string[] before = Listing(_cli.StateRoot);
        foreach (string[] args in new[]
        {
            new[] { "--json", "run", "--trust", "trusted", "--policy", "/tmp", "busybox", "true" },
            ["policy", "validate", "--json", "/no/such/policy.yaml"],
            ["--json", "run", "--frobnicate", "busybox"],
            ["--json", "image", "rm"],
        })
        {
            var run = _cli.Run(args, stdin: null);
            Assert.Equal(125, run.ExitCode);
            Assert.Equal("", run.Stdout);
            using JsonDocument doc = JsonDocument.Parse(run.Stderr);
            Assert.False(string.IsNullOrWhiteSpace(doc.RootElement.GetProperty("error").GetString()), run.ToString());
            Assert.True(doc.RootElement.TryGetProperty("hint", out _), run.ToString());
            Assert.Equal(125, doc.RootElement.GetProperty("exitCode").GetInt32());
        }

        Assert.Equal(before, Listing(_cli.StateRoot));
    }

    [Fact]
    public void Json_is_honoured_by_audit_verify_policy_validate_and_volume_create()
    {
        using (JsonDocument created = Json(_cli.Run("--json", "volume", "create", "made")))
        {
            Assert.Equal("made", created.RootElement.GetProperty("name").GetString());
        }

        using (JsonDocument valid = Json(_cli.Run("--json", "policy", "validate", Path.Combine(RepoPaths.Root, "profiles", "policy.yaml"))))
        {
            Assert.True(valid.RootElement.GetProperty("valid").GetBoolean());
            Assert.Matches("^[0-9a-f]{64}$", valid.RootElement.GetProperty("sha256").GetString()!);
        }

        Assert.Equal(0, _cli.Run("run", "--trust", "trusted", "busybox", "true").ExitCode);
        using JsonDocument verified = Json(_cli.Run("--json", "audit", "verify"));
        Assert.True(verified.RootElement.GetProperty("intact").GetBoolean());
        Assert.Equal(2, verified.RootElement.GetProperty("records").GetInt64());
    }

    [Fact]
    public void Run_help_offers_only_what_works()
    {
        var help = _cli.Run("run", "--help");
        Assert.Equal(0, help.ExitCode);
        foreach (string flag in new[] { "--detach", "-d,", "--name", "--rm", "--restart", "--init" })
        {
            Assert.Contains(flag, help.Stdout, StringComparison.Ordinal); // built: LifecycleTests, InitTests
        }

        Assert.DoesNotContain("--entrypoint", help.Stdout, StringComparison.Ordinal); // not offered: the image's entrypoint is not overridable yet
    }

    [Fact]
    public void Doctor_on_a_fresh_root_says_a_guest_kernel_is_needed_and_how_to_get_it()
    {
        var doctor = _cli.Run("doctor");
        Assert.Contains("missing for microVM isolation: the guest kernel debian-6.1: sandbox kernel fetch debian-6.1", doctor.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("nothing missing", doctor.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, doctor.ExitCode);
    }

    private static JsonDocument Json(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout);
    }

    internal static void AssertOneLineError(CliRun run, string firstLine)
    {
        Assert.True(run.ExitCode == 125, run.ToString());
        string[] lines = run.Stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(firstLine, lines[0]);
        Assert.True(lines.Length <= 2 && lines[1..].All(l => l.StartsWith("  hint: ", StringComparison.Ordinal)), run.ToString());
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Every path below the root with its size: what "left as it was" compares.</summary>
    internal static string[] Listing(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => !p.Contains("/rootfs/", StringComparison.Ordinal))
            .Select(p => File.Exists(p) ? $"{Path.GetRelativePath(root, p)} {new FileInfo(p).Length}" : Path.GetRelativePath(root, p))
            .Order(StringComparer.Ordinal)];

    public void Dispose() => _cli.Dispose();
}
