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
    }

    /// <summary>A CLI on a state root that outlives the test (e.g. a shared cache of fetched kernels).</summary>
    public SandboxCli(string sharedStateRoot)
    {
        Require.That(File.Exists(RepoPaths.SandboxBinary), $"{RepoPaths.SandboxBinary} is missing: run make build");
        StateRoot = sharedStateRoot;
        _ownsRoot = false;
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

    public void Dispose()
    {
        if (!_ownsRoot)
        {
            return;
        }

        try
        {
            // Volumes stay mounted on the host (their nosuid,nodev storage) until `volume rm`: detach what is left, deepest first.
            string prefix = StateRoot + "/";
            foreach (string point in File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal))
                .Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Distinct().OrderByDescending(p => p.Length))
            {
                Tool.Capture("umount", "-l", point);
            }

            Directory.Delete(StateRoot, recursive: true);
        }
        catch (IOException)
        {
            // a failing test may leave a busy mount; the assertion that failed says more than this would
        }
    }
}
