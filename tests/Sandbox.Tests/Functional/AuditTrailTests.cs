using System.Globalization;
using System.Text.Json;
using Sandbox.Profiles;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// The audit log records what was applied, as observed: a trusted container's record holds the
/// digest of the seccomp filter it actually ran under and the UID map the kernel actually gave it;
/// a refused run is recorded too; and the chain verifies.
/// </summary>
public sealed class AuditTrailTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void A_trusted_run_records_the_applied_seccomp_digest_and_uid_map()
    {
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "sh", "-c", "cat /proc/self/uid_map; grep ^Seccomp: /proc/self/status; exit 4");
        Assert.Equal(4, run.ExitCode);

        JsonElement started = Show("1"); // written before the workload ran
        Assert.Equal("started", started.GetProperty("outcome").GetString());
        Assert.False(started.TryGetProperty("exitCode", out _));
        JsonElement record = Show("2");
        Assert.Equal(started.GetProperty("sandbox").GetString(), record.GetProperty("sandbox").GetString());
        Assert.Equal(started.GetProperty("applied").GetRawText(), record.GetProperty("applied").GetRawText());
        Assert.Equal("exited", record.GetProperty("outcome").GetString());
        Assert.Equal(4, record.GetProperty("exitCode").GetInt32());
        Assert.Equal("trusted-to-container", record.GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal("container", record.GetProperty("decision").GetProperty("backend").GetString());

        JsonElement applied = record.GetProperty("applied");
        string expectedDigest = ProfileDigest.Sha256(OciSeccompEmitter.Emit(ProfileCatalog.Resolve("default")));
        Assert.Equal(expectedDigest, applied.GetProperty("seccompSha256").GetString());
        Assert.Contains("Seccomp:\t2", run.Stdout, StringComparison.Ordinal); // a filter really was installed

        // The UID map in the record is the one the kernel reports inside the sandbox.
        JsonElement map = Assert.Single(applied.GetProperty("uidMap").EnumerateArray());
        string[] observed = run.Stdout.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(observed[0], map.GetProperty("containerId").GetUInt32().ToString(CultureInfo.InvariantCulture));
        Assert.Equal(observed[1], map.GetProperty("hostId").GetUInt32().ToString(CultureInfo.InvariantCulture));
        Assert.Equal(observed[2], map.GetProperty("size").GetUInt32().ToString(CultureInfo.InvariantCulture));
        Assert.NotEqual("0", observed[1]); // container root is never host root

        foreach (string set in new[] { "bounding", "effective", "inheritable", "permitted", "ambient" })
        {
            Assert.Equal(0, applied.GetProperty("capabilities").GetProperty(set).GetArrayLength());
        }

        Assert.True(applied.GetProperty("readonlyRoot").GetBoolean());
        Assert.Equal("none", applied.GetProperty("network").GetString());
    }

    [Fact]
    public void Refused_runs_are_recorded_with_the_rule_and_exit_125()
    {
        var refused = _cli.Run("run", "--trust", "trusted", "--memory", "4G", "busybox", "true");
        Assert.Equal(125, refused.ExitCode);
        var microvm = _cli.Run("run", "busybox", "true");
        Assert.Equal(125, microvm.ExitCode);

        JsonElement first = Show("1");
        Assert.Equal("refused", first.GetProperty("outcome").GetString());
        Assert.Equal(125, first.GetProperty("exitCode").GetInt32());
        Assert.Equal("trusted-to-container", first.GetProperty("rule").GetProperty("name").GetString());
        Assert.Contains("--memory 4G exceeds the ceiling 512M", first.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(first.TryGetProperty("applied", out _)); // nothing was applied

        JsonElement second = Show("2");
        Assert.Equal("untrusted-to-vm", second.GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal("microvm", second.GetProperty("decision").GetProperty("backend").GetString());
        Assert.Contains("guest kernel debian-6.1 is not fetched yet", second.GetProperty("error").GetString(), StringComparison.Ordinal);

        var verify = _cli.Run("audit", "verify");
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains("intact, 2 record(s)", verify.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_names_the_first_tampered_record_and_exits_1()
    {
        Assert.Equal(0, _cli.Run("run", "--trust", "trusted", "busybox", "true").ExitCode);
        Assert.Equal(125, _cli.Run("run", "busybox", "true").ExitCode);
        string log = Path.Combine(_cli.StateRoot, "audit", "audit.log");
        File.WriteAllText(log, File.ReadAllText(log).Replace("\"exitCode\":0", "\"exitCode\":1", StringComparison.Ordinal));

        var verify = _cli.Run("audit", "verify");
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("record 2 was edited", verify.Stderr, StringComparison.Ordinal); // record 1 is the run's "started"

        var ls = _cli.Run("audit", "ls");
        Assert.Equal(0, ls.ExitCode);
        Assert.Contains("trusted-to-container", ls.Stdout, StringComparison.Ordinal);
    }

    private JsonElement Show(string id)
    {
        var show = _cli.Run("audit", "show", id, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        return JsonDocument.Parse(show.Stdout).RootElement.Clone();
    }

    public void Dispose() => _cli.Dispose();
}
