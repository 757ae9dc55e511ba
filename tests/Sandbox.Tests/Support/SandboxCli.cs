using System.Diagnostics;
using System.Text;

namespace Sandbox.Tests.Support;

/// <summary>The result of one CLI invocation.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>
/// Drives the real bin/sandbox binary black-box, each instance with its own temporary state root,
/// so integration tests see exactly what a user sees: streams and exit codes.
/// </summary>
public sealed class SandboxCli : IDisposable
{
    private readonly bool _ownsRoot = true;

    public SandboxCli()
    {
        Require.That(File.Exists(RepoPaths.SandboxBinary), $"{RepoPaths.SandboxBinary} is missing: run make build");
        StateRoot = Directory.CreateTempSubdirectory("sandbox-test-root-").FullName;
        StateRootJanitor.Register(StateRoot, owned: true);
    }

    /// <summary>A CLI on a state root that outlives the test (e.g. a shared cache of fetched kernels).</summary>
    public SandboxCli(string sharedStateRoot)
    {
        Require.That(File.Exists(RepoPaths.SandboxBinary), $"{RepoPaths.SandboxBinary} is missing: run make build");
        StateRoot = sharedStateRoot;
        _ownsRoot = false;
        StateRootJanitor.Register(StateRoot, owned: false);
    }

    public string StateRoot { get; }

    /// <summary>Requirements of tests that start real containers.</summary>
    public static SandboxCli ForContainers()
    {
        Require.Root();
        Require.Tool("runc");
        Require.That(File.Exists("/bin/busybox"), "this test needs /bin/busybox (apt-get install busybox-static)");
        return new SandboxCli();
    }

    public CliRun Run(params string[] args) => Run(args, stdin: null);

    public CliRun Run(IReadOnlyList<string> args, string? stdin, TimeSpan? timeout = null)
    {
        using var process = Start(args, stdin is not null);
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        return Wait(process, timeout ?? TimeSpan.FromMinutes(2));
    }

    /// <summary>Starts the CLI without waiting, for signal and interruption tests.</summary>
    public Process Start(IReadOnlyList<string> args, bool redirectStdin = false, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(RepoPaths.SandboxBinary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
        };
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(StateRoot);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi) ?? throw new InvalidOperationException("could not start bin/sandbox");
    }

    /// <summary>Runs bin/sandbox with exactly these arguments (no --root added), e.g. to test --root itself.</summary>
    public static CliRun RunRaw(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(RepoPaths.SandboxBinary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start bin/sandbox");
        return Wait(process, TimeSpan.FromMinutes(1));
    }

    /// <summary>
    /// Runs the CLI on this root with arguments given as bytes (not necessarily UTF-8), which .NET's
    /// Process cannot pass: python3's os.execve does, adding <paramref name="env"/> (NAME=VALUE bytes)
    /// to the launcher's environment. Stdin is empty.
    /// </summary>
    public CliRun RunBytes(IReadOnlyList<byte[]> args, IReadOnlyList<byte[]>? env = null, TimeSpan? timeout = null)
    {
        Require.Tool("python3");
        const string Exec = """
            import os, sys
            n = int(sys.argv[1]); env = dict(os.environb)
            for h in sys.argv[2:2 + n]:
                k, _, v = bytes.fromhex(h).partition(b'='); env[k] = v
            args = [bytes.fromhex(h) for h in sys.argv[2 + n:]]
            os.execve(args[0], args, env)
            """;
        var psi = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        env ??= [];
        byte[][] argv = [Encoding.UTF8.GetBytes(RepoPaths.SandboxBinary), "--root"u8.ToArray(), Encoding.UTF8.GetBytes(StateRoot), .. args];
        foreach (string a in (string[])["-c", Exec, env.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. env.Select(Convert.ToHexStringLower), .. argv.Select(Convert.ToHexStringLower)])
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start python3");
        process.StandardInput.Close();
        return Wait(process, timeout ?? TimeSpan.FromMinutes(3));
    }

    public static CliRun Wait(Process process, TimeSpan timeout)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.Append(e.Data).Append('\n'); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.Append(e.Data).Append('\n'); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bin/sandbox did not finish within {timeout}");
        }

        process.WaitForExit(); // drains the async readers
        return new CliRun(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// Reaps what killed launchers left on this root (as the next launch would), records anything still
    /// left for the suite's final check, and removes a root this instance owns.
    /// </summary>
    public void Dispose() => StateRootJanitor.Release(StateRoot, remove: _ownsRoot);
}
