using System.Diagnostics;

namespace Sandbox.Tests.Support;

/// <summary>Runs a host tool (umoci, skopeo) for test set-up, failing the test with its stderr when it fails.</summary>
public static class Tool
{
    public static string Run(string program, params string[] args)
    {
        CliRun run = Capture(program, args);
        Assert.True(run.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {run.ExitCode}: {run.Stderr}");
        return run.Stdout;
    }

    /// <summary>Runs a program to observe it (exit code and both streams), without judging the result.</summary>
    public static CliRun Capture(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new CliRun(process.ExitCode, stdout, stderr.Result);
    }
}
