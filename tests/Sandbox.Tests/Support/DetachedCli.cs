using System.Diagnostics;
using System.Text.Json;

namespace Sandbox.Tests.Support;

/// <summary>Helpers for tests of detached sandboxes: start one, read its row, run a verb with byte stdio, read the audit, wait for a state, clean up.</summary>
public static class DetachedCli
{
    /// <summary>`run -d --trust trusted ARGS...`, which must succeed; the sandbox's ID.</summary>
    public static string Detach(this SandboxCli cli, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(cli);
        return Ok(cli.Run(["run", "-d", "--trust", "trusted", .. args], stdin: null, TimeSpan.FromMinutes(1))).Stdout.Trim();
    }

    /// <summary>The sandbox's row in `ps -a --json`.</summary>
    public static JsonElement Row(this SandboxCli cli, string id)
    {
        ArgumentNullException.ThrowIfNull(cli);
        return JsonDocument.Parse(Ok(cli.Run("ps", "-a", "--json")).Stdout).RootElement.EnumerateArray().Single(r => r.GetProperty("id").GetString() == id);
    }

    /// <summary><paramref name="run"/>, asserted to have exited 0 (the whole run printed when not).</summary>
    public static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    /// <summary>Runs the CLI with these bytes on stdin (null: none) and returns its exit code, stdout bytes and stderr.</summary>
    public static (int ExitCode, byte[] Stdout, string Stderr) RunBytes(SandboxCli cli, IReadOnlyList<string> args, byte[]? stdin, TimeSpan? timeout = null)
    {
        using Process process = cli.Start(args, redirectStdin: true);
        var stdout = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.BaseStream.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"sandbox {string.Join(' ', args)} did not finish");
        }

        copy.Wait();
        return (process.ExitCode, stdout.ToArray(), stderr.Result);
    }

    /// <summary>The audit records naming <paramref name="id"/>, in order.</summary>
    public static IReadOnlyList<JsonElement> AuditOf(SandboxCli cli, string id) =>
        [.. File.ReadAllText(Path.Combine(cli.StateRoot, "audit", "audit.log")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).Where(r => r.TryGetProperty("sandbox", out var s) && s.GetString() == id)];

    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds; fails naming <paramref name="what"/> after <paramref name="within"/> (default 60 s).</summary>
    public static void Eventually(Func<bool> condition, string what, TimeSpan? within = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromMinutes(1));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>Removes every sandbox of the root (rm -f), before the root is reaped and checked for leaks.</summary>
    public static void RemoveAll(SandboxCli cli)
    {
        try
        {
            foreach (var row in JsonDocument.Parse(cli.Run("ps", "-a", "--json").Stdout).RootElement.EnumerateArray())
            {
                cli.Run(["rm", "-f", row.GetProperty("id").GetString()!], stdin: null, TimeSpan.FromMinutes(2));
            }
        }
        catch (JsonException)
        {
        }
    }
}
