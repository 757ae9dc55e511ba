using System.Text.RegularExpressions;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// VM templates (docs/templates.md) on real microVMs under the shared kernel root: a clone restored
/// from one template gets its own randomness, boot ID and volumes; a damaged or mismatched template
/// is rebuilt, never used; policy can forbid templates. Each test boots at most a few VMs.
/// </summary>
public sealed partial class MicroVmTemplateTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();
    private readonly List<string> _volumes = [];

    // boot_id, 16 bytes of /dev/urandom, then the AT_RANDOM bytes (read from /proc/PID/mem at the
    // auxv's AT_RANDOM address) of two processes started in the clone, once each has exec'd (before,
    // the forked shell still has the shell's auxv).
    private const string IdentityProbe = """
        cat /proc/sys/kernel/random/boot_id
        head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; echo
        r() { sleep 30 & p=$!; while [ "$(cat /proc/$p/comm)" != sleep ]; do usleep 1000; done; a=$(od -An -tu8 -w16 -v /proc/$p/auxv | while read -r t v; do [ "$t" = 25 ] && echo "$v"; done)
          dd if=/proc/$p/mem bs=1 skip="$a" count=16 2>/dev/null | od -An -tx1 | tr -d ' \n'; echo; kill $p; }
        r; r
        date +%s
        """;

    private CliRun Vm(string kernel, string marker, string script, params string[] extra) =>
        _cli.Run(["run", "--trust", "untrusted", "--kernel", kernel, .. extra, "busybox", "sh", "-c", $": {marker}; {script}"], stdin: null, TimeSpan.FromMinutes(4));

    private static string Marker() => "m" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The audit record's "boot" of the run whose command held <paramref name="marker"/>.</summary>
    private string BootOf(string marker)
    {
        var ids = _cli.Run("audit", "ls").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ')[0]);
        string json = ids.Reverse().Take(40).Select(id => _cli.Run("audit", "show", id, "--json").Stdout)
            .First(j => j.Contains(marker, StringComparison.Ordinal) && j.Contains("\"applied\"", StringComparison.Ordinal));
        return BootField().Match(json) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no boot field in:\n{json}");
    }

    [GeneratedRegex("\"boot\": \"([^\"]*)\"")]
    private static partial Regex BootField();

    /// <summary>Runs `true` until a run restores (the first may save the template); the template's digest.</summary>
    private string EnsureTemplate(string kernel, params string[] extra)
    {
        for (int i = 0; i < 2; i++)
        {
            string marker = Marker();
            var run = Vm(kernel, marker, "true", extra);
            Assert.True(run.ExitCode == 0, run.ToString());
            string boot = BootOf(marker);
            if (boot.StartsWith("restored from template ", StringComparison.Ordinal))
            {
                return boot["restored from template ".Length..];
            }

            Assert.StartsWith("booted; this run saved template ", boot, StringComparison.Ordinal);
        }

        throw new Xunit.Sdk.XunitException("the run after a template was saved did not restore it");
    }

    [Theory]
    [InlineData("minimal-6.1")]
    [InlineData("minimal-5.10")]
    public void Two_clones_of_one_template_differ_in_urandom_boot_id_and_at_random(string kernel)
    {
        string digest = EnsureTemplate(kernel);
        // A clone's clock stopped when its template was saved: let the template age, so a clone whose
        // clock init did not set from the host (the same helper call as the reseed) shows it.
        var saved = File.GetLastWriteTimeUtc(Directory.GetFiles(Path.Combine(_cli.StateRoot, "vm", "templates"), digest + "-*.state").Single());
        if (DateTime.UtcNow - saved is var age && age < TimeSpan.FromSeconds(20))
        {
            Thread.Sleep(TimeSpan.FromSeconds(20) - age);
        }

        var clones = new List<string[]>();
        for (int i = 0; i < 2; i++)
        {
            string marker = Marker();
            var run = Vm(kernel, marker, IdentityProbe);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal($"restored from template {digest}", BootOf(marker));
            string[] lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 5 && lines[1].Length == 32 && lines[2].Length == 32 && lines[3].Length == 32, run.ToString());
            long skew = long.Parse(lines[4], System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            Assert.True(Math.Abs(skew) < 10, $"the clone's clock is {skew}s off the host's: it was not set after the restore");
            clones.Add(lines);
        }

        Assert.NotEqual(clones[0][0], clones[1][0]); // boot_id: made on first read, after the reseed
        Assert.NotEqual(clones[0][1], clones[1][1]); // /dev/urandom
        Assert.NotEqual(clones[0][2], clones[1][2]); // AT_RANDOM of the first process of each clone
        Assert.NotEqual(clones[0][3], clones[1][3]);
        Assert.NotEqual(clones[0][2], clones[0][3]);
    }

    [Fact]
    public void A_clone_runs_with_its_own_volume()
    {
        string kernel = MicroVmHost.BuiltKernels[0];
        EnsureTemplate(kernel);
        string a = NewVolume(), b = NewVolume();
        string ma = Marker(), mb = Marker();
        var write = Vm(kernel, ma, "echo from-a > /data/f && ls /data", "-v", $"{a}:/data");
        Assert.True(write.ExitCode == 0, write.ToString());
        var other = Vm(kernel, mb, "[ ! -e /data/f ] && echo absent", "-v", $"{b}:/data");
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.StartsWith("restored from template ", BootOf(ma), StringComparison.Ordinal);
        Assert.StartsWith("restored from template ", BootOf(mb), StringComparison.Ordinal);
        Assert.Equal("from-a\n", File.ReadAllText(Path.Combine(_cli.StateRoot, "volumes", a, "data", "f"))); // on the host, in a's volume
        Assert.Equal("absent\n", other.Stdout); // b's clone sees its own volume, not a's file
    }

    [Fact]
    public void A_corrupt_truncated_or_mismatched_template_is_rebuilt_and_the_run_succeeds()
    {
        string kernel = MicroVmHost.BuiltKernels[0];
        // A memory size no other test uses: a template of its own, which tests running meanwhile never restore or rebuild.
        string[] own = ["--memory", "77M"];
        string digest = EnsureTemplate(kernel, own);
        string dir = Path.Combine(_cli.StateRoot, "vm", "templates");
        string State() => Directory.GetFiles(dir, digest + "-*.state").Single();

        (string Damage, Action Do, string Why)[] cases =
        [
            ("corrupt", () =>
            {
                using var f = new FileStream(State(), FileMode.Open, FileAccess.Write);
                f.Position = f.Length / 2;
                f.Write(new byte[4096].Select(_ => (byte)0x5a).ToArray());
            }, "does not have the recorded SHA-256"),
            ("truncated", () => { using var f = new FileStream(State(), FileMode.Open, FileAccess.Write); f.SetLength(f.Length / 3); }, "wrong size"),
            ("mismatched key", () =>
            {
                string manifest = Path.Combine(dir, digest + ".manifest");
                File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("memory ", "memory 9", StringComparison.Ordinal));
            }, "another key"),
        ];
        foreach (var (damage, act, why) in cases)
        {
            act();
            string marker = Marker();
            var run = Vm(kernel, marker, "echo ok", own);
            Assert.True(run.ExitCode == 0 && run.Stdout == "ok\n", $"{damage}: {run}");
            string boot = BootOf(marker);
            Assert.StartsWith($"booted; this run saved template {digest}", boot, StringComparison.Ordinal);
            Assert.Contains(why, boot, StringComparison.Ordinal);
        }

        Assert.Equal(digest, EnsureTemplate(kernel, own)); // and the rebuilt one restores
    }

    [Fact]
    public void Policy_templates_false_forces_a_cold_boot_and_explain_says_so()
    {
        string policy = Path.Combine(TestTemp.Directory("sandbox-policy-"), "p.yaml");
        File.WriteAllText(policy, """
            version: 1
            rules:
              - name: vm-no-templates
                effect: allow
                why: every guest boots from scratch
                decide: {backend: microvm, kernels: ['*'], allowEmulation: true, templates: false}
            """);
        var explain = _cli.Run("policy", "explain", "--policy", policy, "--trust", "untrusted", "busybox");
        Assert.True(explain.ExitCode == 0, explain.ToString());
        Assert.Contains("guest: booted (templates: false)", explain.Stdout, StringComparison.Ordinal);
        var builtin = _cli.Run("policy", "explain", "--trust", "untrusted", "busybox");
        Assert.Contains("guest: restored from a VM template when one matches", builtin.Stdout, StringComparison.Ordinal);

        string kernel = MicroVmHost.BuiltKernels[0];
        EnsureTemplate(kernel); // one exists, and is still not used
        string marker = Marker();
        var run = Vm(kernel, marker, "echo cold", "--policy", policy);
        Assert.True(run.ExitCode == 0 && run.Stdout == "cold\n", run.ToString());
        Assert.Equal("booted (templates: false in the deciding policy rule)", BootOf(marker));
    }

    private string NewVolume()
    {
        string name = "t-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(0, _cli.Run("volume", "create", name, "--size", "16M").ExitCode);
        _volumes.Add(name);
        return name;
    }

    public void Dispose()
    {
        foreach (string v in _volumes)
        {
            _cli.Run("volume", "rm", "--force", v);
        }

        _cli.Dispose();
    }
}
