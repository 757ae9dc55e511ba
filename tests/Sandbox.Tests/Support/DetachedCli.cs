using System.Diagnostics;
using System.Text.Json;

namespace Sandbox.Tests.Support;

/// <summary>Helpers for tests of verbs on detached sandboxes (exec, cp): start one, run a verb with byte stdio, read the audit.</summary>
public static class DetachedCli
{
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

    public static void Eventually(Func<bool> condition, string what)
    {
        for (int i = 0; i < 600; i++)
        {
            if (condition())
            {
                return;
            }

            Thread.Sleep(100);
        }

        Assert.Fail($"timed out waiting for {what}");
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
