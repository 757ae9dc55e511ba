using System.Text;
using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// Bytes are bytes: arguments, -e values and file names that are not UTF-8 reach the workload
/// unchanged in both backends (through the exec shim, docs/parity.md), the audit keeps them, and the
/// launcher's own options must be UTF-8. The Debian-image parity entry is in <see cref="BackendParityTests"/>.
/// </summary>
public sealed class ArgumentBytesTests : IDisposable
{
    /// <summary>$'\xff\xfe caf\xe9': Latin-1 "café" after two bytes no UTF-8 text can start with.</summary>
    public static readonly byte[] Argument = [0xff, 0xfe, (byte)' ', (byte)'c', (byte)'a', (byte)'f', 0xe9];

    private readonly SandboxCli _cli = MicroVmHost.Cli();

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string Od(byte[] bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Bytes_reach_a_busybox_workload_unchanged_under_its_full_hardening_in_both_backends()
    {
        foreach (string backend in new[] { "container", "microvm" })
        {
            var run = _cli.RunBytes(
                [B("run"), B("--trust"), B("trusted"), B("--backend"), B(backend), B("-e"), [.. B("BYTES="), 0xfe, 0xff, 0x80], B("-e"), B("INHERITED"),
                    B("busybox"), B("sh"), B("-c"),
                    B("""for v in "$1" "$BYTES" "$INHERITED"; do printf %s "$v" | od -An -tx1 | tr -s ' \n' '  '; echo; done; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\t'; exit 7"""),
                    B("sh"), Argument],
                env: [[.. B("INHERITED="), 0xe9, 0x41]]);
            Assert.True(run.ExitCode == 7, $"{backend}: {run}");
            Assert.Equal($" {Od(Argument)} \n fe ff 80 \n e9 41 \nNoNewPrivs:1\nSeccomp:2\n", run.Stdout);
        }
    }

    [Fact]
    public void The_audit_records_every_argument_s_bytes()
    {
        using var cli = SandboxCli.ForContainers(); // a log of its own: the shared one is written by every microVM test
        var run = cli.RunBytes([B("run"), B("--trust"), B("trusted"), B("--backend"), B("container"), B("busybox"), B("true"), Argument]);
        Assert.True(run.ExitCode == 0, run.ToString());

        var ls = cli.Run("audit", "ls", "--json");
        using var doc = JsonDocument.Parse(ls.Stdout);
        var record = doc.RootElement.EnumerateArray().Last(r => r.GetProperty("command").GetArrayLength() == 2 && r.GetProperty("command")[0].GetString() == "true");
        Assert.Equal(["74727565", Convert.ToHexStringLower(Argument)], record.GetProperty("commandBytes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("\uFFFD\uFFFD caf\uFFFD", record.GetProperty("command")[1].GetString()); // readable, and says bytes were there
        Assert.Equal(0, cli.Run("audit", "verify").ExitCode);
    }

    [Fact]
    public void A_program_name_that_is_not_utf8_is_looked_up_by_the_shim_and_not_found_is_127()
    {
        var run = _cli.RunBytes([B("run"), B("--trust"), B("trusted"), B("--backend"), B("container"), B("busybox"), [0xff, (byte)'x']]);
        Assert.True(run.ExitCode == 127, run.ToString());
        Assert.Contains("not found", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_launcher_s_own_options_must_be_utf8()
    {
        var run = _cli.RunBytes([B("run"), B("--trust"), B("trusted"), B("-w"), [.. B("/tmp/"), 0xff], B("busybox"), B("true")]);
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains("-w/--workdir: '/tmp/\uFFFD' is not valid UTF-8", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_name_that_is_not_utf8_keeps_its_bytes_on_a_volume_across_backends()
    {
        string volume = $"bytes-{Guid.NewGuid():N}"[..16];
        try
        {
            var write = _cli.RunBytes([B("run"), B("--trust"), B("trusted"), B("--backend"), B("microvm"), B("-v"), B($"{volume}:/data"),
                B("busybox"), B("sh"), B("-c"), B("""touch "/data/$1" && for f in /data/*; do printf %s "${f#/data/}"; done | od -An -tx1"""), B("sh"), [0xff, 0xfe]]);
            Assert.True(write.ExitCode == 0, write.ToString());
            Assert.Equal(" ff fe", write.Stdout.TrimEnd('\n')); // busybox ls would print "??"

            var read = _cli.Run(["run", "--trust", "trusted", "--backend", "container", "-v", $"{volume}:/data", "busybox", "sh", "-c", "for f in /data/*; do printf %s \"${f#/data/}\"; done | od -An -tx1"], stdin: "");
            Assert.True(read.ExitCode == 0, read.ToString());
            Assert.Equal(" ff fe", read.Stdout.TrimEnd('\n'));
        }
        finally
        {
            var rm = _cli.Run("volume", "rm", volume); // deletes the name by its bytes
            Assert.True(rm.ExitCode == 0, rm.ToString());
            Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "volumes", volume)));
        }
    }

    public void Dispose() => _cli.Dispose();
}
