using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Tests.Support;

/// <summary>
/// The attack probe (tests/probe/probe.c), compiled on first use into tests/probe/bin/probe and reused
/// until its source or compiler flags change. Callers gate on <c>Require.Tool("gcc")</c> first.
/// </summary>
public static class ProbeBinary
{
    public static readonly IReadOnlyList<string> CompilerFlags = ["-static", "-O2", "-Wall", "-Wextra", "-Werror"];

    private static readonly TimeSpan CompileTimeout = TimeSpan.FromMinutes(2);

    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Absolute path of the compiled, statically linked probe.</summary>
    public static string Path => Built.Value;

    /// <summary>
    /// Parses a verdict line: <c>CHECK: ok</c>, <c>CHECK: ERRNAME</c>, <c>forkbomb: N ok</c>
    /// or <c>forkbomb: K forks ok, then ERRNAME</c>.
    /// </summary>
    public static ProbeResult Parse(string stdoutLine)
    {
        ArgumentNullException.ThrowIfNull(stdoutLine);
        string line = stdoutLine.Trim();
        int colon = line.IndexOf(": ", StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new FormatException($"not a probe verdict line: '{stdoutLine}'");
        }

        string check = line[..colon];
        string verdict = line[(colon + 2)..];
        if (verdict == "ok" || verdict.EndsWith(" ok", StringComparison.Ordinal))
        {
            return new ProbeResult(check, true, null);
        }

        string errno = verdict[(verdict.LastIndexOf(' ') + 1)..];
        if (errno.Length < 2 || errno[0] != 'E' || !errno.Skip(1).All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c)))
        {
            throw new FormatException($"not a probe verdict line: '{stdoutLine}'");
        }

        return new ProbeResult(check, false, errno);
    }

    /// <summary>Parses the verdict, which is always the last line of the probe's stdout.</summary>
    public static ProbeResult ParseOutput(string stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        string? last = stdout.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        return Parse(last ?? throw new FormatException("the probe printed no verdict line (was it killed by a signal?)"));
    }

    /// <summary>
    /// Runs the probe natively on the host, unconfined: the baseline a sandboxed run is compared with.
    /// A probe killed by signal N reports exit code 128+N, as .NET does for any child.
    /// </summary>
    public static ProbeRun RunNative(params string[] args)
    {
        var psi = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        (int exitCode, string stdout, string stderr) = RunToEnd(psi, TimeSpan.FromMinutes(1));
        return new ProbeRun(exitCode, stdout, stderr);
    }

    private static string Build()
    {
        string repo = RepoPaths.Root;
        string source = System.IO.Path.Combine(repo, "tests", "probe", "probe.c");
        string binDir = System.IO.Path.Combine(repo, "tests", "probe", "bin");
        string binary = System.IO.Path.Combine(binDir, "probe");
        string hashFile = binary + ".sha256";

        // The flags are part of the hash: changing them must rebuild too.
        string hash = Convert.ToHexStringLower(SHA256.HashData(
            Encoding.UTF8.GetBytes(string.Join(' ', CompilerFlags) + "\n").Concat(File.ReadAllBytes(source)).ToArray()));
        if (File.Exists(binary) && File.Exists(hashFile) && File.ReadAllText(hashFile).Trim() == hash)
        {
            return binary;
        }

        Directory.CreateDirectory(binDir);

        // Compile beside the target and rename into place, so a concurrent or interrupted build never
        // leaves a half-written binary behind a matching hash.
        string temp = $"{binary}.{Environment.ProcessId}.tmp";
        var psi = new ProcessStartInfo("gcc")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string flag in CompilerFlags)
        {
            psi.ArgumentList.Add(flag);
        }

        psi.ArgumentList.Add("-o");
        psi.ArgumentList.Add(temp);
        psi.ArgumentList.Add(source);

        int exitCode;
        string stdout, stderr;
        try
        {
            (exitCode, stdout, stderr) = RunToEnd(psi, CompileTimeout);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run gcc to build the probe ({e.Message}); make deps installs it", e);
        }

        if (exitCode != 0)
        {
            File.Delete(temp);
            throw new InvalidOperationException(
                $"gcc {string.Join(' ', psi.ArgumentList)} failed with exit code {exitCode}:\n{stderr}{stdout}");
        }

        File.Move(temp, binary, overwrite: true);
        File.WriteAllText(hashFile, hash + "\n");
        return binary;
    }

    private static (int ExitCode, string Stdout, string Stderr) RunToEnd(ProcessStartInfo psi, TimeSpan timeout)
    {
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");

        // Read both pipes concurrently: a child blocked on a full stderr pipe would never exit.
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{psi.FileName} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout}");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}

/// <summary>A parsed verdict line: <paramref name="ErrnoName"/> is null when <paramref name="Ok"/>.</summary>
public sealed record ProbeResult(string Check, bool Ok, string? ErrnoName);

/// <summary>One native probe run. <see cref="Verdict"/> throws if the probe printed none (killed by a signal).</summary>
public sealed record ProbeRun(int ExitCode, string Stdout, string Stderr)
{
    public ProbeResult Verdict => ProbeBinary.ParseOutput(Stdout);
}
