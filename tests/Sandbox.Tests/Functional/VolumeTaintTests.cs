using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// The taint flow end to end: an untrusted sandbox writes a volume, after which the built-in policy
/// refuses a trusted read-write mount of it (exit 125, audited) and allows a trusted read-only one.
/// </summary>
public sealed class VolumeTaintTests : IDisposable
{
    // The untrusted writer runs in the container so the test needs no guest kernel; the trusted runs use the built-in policy.
    private const string UntrustedInContainer = """
        version: 1
        rules:
          - name: untrusted-in-container
            effect: allow
            why: test host; the writer's isolation is not what is tested
            match: {trust: untrusted}
            decide: {backend: container, volumes: ['*']}
        """;

    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly string _policy = Path.Combine(Directory.CreateTempSubdirectory("sandbox-taint-policy-").FullName, "p.yaml");

    [Fact]
    public void A_volume_an_untrusted_sandbox_wrote_is_read_only_for_trusted_sandboxes()
    {
        File.WriteAllText(_policy, UntrustedInContainer);
        Assert.False(Taint("samples")); // a volume that does not exist yet is untainted
        var write = _cli.Run("run", "--policy", _policy, "-v", "samples:/data", "busybox", "sh", "-c", "echo planted > /data/f");
        Assert.True(write.ExitCode == 0, write.ToString());
        Assert.True(Taint("samples"));

        var refused = _cli.Run("run", "--trust", "trusted", "-v", "samples:/data", "busybox", "cat", "/data/f");
        Assert.Equal(125, refused.ExitCode);
        Assert.Contains("refused by rule 'trusted-must-not-write-tainted-volumes'", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("-v NAME:/path:ro", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("samples:/data (rw)", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal("", refused.Stdout); // nothing ran

        var read = _cli.Run("run", "--trust", "trusted", "-v", "samples:/data:ro", "-v", "results:/out", "busybox", "sh", "-c", "cat /data/f > /out/f; cat /out/f");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("planted\n", read.Stdout);
        Assert.False(Taint("results")); // trusted writes do not taint

        JsonElement record = Records().Single(r => r.GetProperty("outcome").GetString() == "refused");
        Assert.Equal("trusted-must-not-write-tainted-volumes", record.GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal(125, record.GetProperty("exitCode").GetInt32());
        Assert.Contains("untrusted sandbox wrote", record.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _cli.Run("audit", "verify").ExitCode);
    }

    [Fact]
    public void Explain_shows_each_volume_with_its_taint()
    {
        File.WriteAllText(_policy, UntrustedInContainer);
        Assert.Equal(0, _cli.Run("run", "--policy", _policy, "-v", "dropped:/data", "busybox", "true").ExitCode);
        var run = _cli.Run("policy", "explain", "--json", "--trust", "trusted", "-v", "dropped:/data", "-v", "fresh:/out:ro", "busybox", "true");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("refused", doc.RootElement.GetProperty("verdict").GetString());
        var mounts = doc.RootElement.GetProperty("workload").GetProperty("volumeMounts").EnumerateArray()
            .Select(v => (v.GetProperty("name").GetString(), v.GetProperty("readOnly").GetBoolean(), v.GetProperty("writtenByUntrusted").GetBoolean()));
        Assert.Equal([("dropped", false, true), ("fresh", true, false)], mounts);
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "volumes", "fresh"))); // explain creates nothing
    }

    private bool Taint(string volume)
    {
        var inspect = _cli.Run("volume", "inspect", volume);
        return inspect.ExitCode == 0 && JsonDocument.Parse(inspect.Stdout).RootElement.GetProperty("writtenByUntrusted").GetBoolean();
    }

    private List<JsonElement> Records()
    {
        var ls = _cli.Run("audit", "ls", "--json");
        Assert.True(ls.ExitCode == 0, ls.ToString());
        using var doc = JsonDocument.Parse(ls.Stdout);
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(Path.GetDirectoryName(_policy)!, recursive: true);
    }
}
