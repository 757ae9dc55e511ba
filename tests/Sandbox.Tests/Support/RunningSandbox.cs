using System.Diagnostics;
using System.Globalization;

namespace Sandbox.Tests.Support;

/// <summary>A launcher started by a test, and the sandbox it runs, found from the host side while it runs.</summary>
public static class RunningSandbox
{
    /// <summary>Reads the launcher's stdout until <paramref name="marker"/>; the sandbox is then running.</summary>
    public static async Task WaitForLineAsync(Process launcher, string marker, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        while (await launcher.StandardOutput.ReadLineAsync(limit.Token) is { } line)
        {
            if (line == marker)
            {
                return;
            }
        }

        throw new InvalidOperationException($"the launcher ended before printing '{marker}': {await launcher.StandardError.ReadToEndAsync(ct)}");
    }

    /// <summary>The sandbox ID: the launcher's child is the OCI runtime, whose last argument it is.</summary>
    public static string Id(int launcherPid)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == launcherPid.ToString(CultureInfo.InvariantCulture))
                {
                    string[] argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                    if (argv.Length > 0 && argv[^1].StartsWith("sb-", StringComparison.Ordinal))
                    {
                        return argv[^1];
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a process that went away
            }
        }

        throw new InvalidOperationException($"no OCI runtime found under launcher {launcherPid}");
    }
}
