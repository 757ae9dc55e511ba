using System.ComponentModel;
using System.Diagnostics;

namespace Sandbox.Host;

/// <summary>What running an external program produced. <see cref="Error"/> is set when it did not run to completion.</summary>
public sealed record CommandOutput(int ExitCode, string Stdout, string Stderr, string? Error)
{
    public bool Succeeded => Error is null && ExitCode == 0;

    /// <summary>The first non-empty line of stderr, else of stdout: what a one-line detail should quote.</summary>
    public string FirstLine()
    {
        foreach (string text in new[] { Error ?? string.Empty, Stderr, Stdout })
        {
            foreach (string line in text.Split('\n'))
            {
                if (line.Trim().Length > 0)
                {
                    return line.Trim();
                }
            }
        }

        return string.Empty;
    }
}

/// <summary>
/// Runs a program through <see cref="Process"/> (the runtime's native spawn shim; never a managed fork)
/// with a deadline, capturing stdout and stderr.
/// </summary>
internal static class ExternalCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static async Task<CommandOutput> RunAsync(
        string program, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Probes must not depend on the caller's locale for the text they parse.
        startInfo.Environment["LC_ALL"] = "C";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        if (workingDirectory is not null)
        {
            startInfo.WorkingDirectory = workingDirectory;
        }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return new CommandOutput(-1, string.Empty, string.Empty, $"{program}: cannot start: {e.Message}");
        }

        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Only the child we started (and its descendants) is killed.
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            return new CommandOutput(-1, string.Empty, string.Empty, $"{program}: no exit within {timeout.TotalSeconds:0.#} s");
        }

        return new CommandOutput(
            process.ExitCode,
            await stdout.ConfigureAwait(false),
            await stderr.ConfigureAwait(false),
            null);
    }
}
