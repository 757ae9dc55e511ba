using System.Text.Json;
using Sandbox.Host;
using Sandbox.Host.Files;

namespace Sandbox.Backends.Container;

/// <summary>
/// Reads the OCI runtime's JSON log. The workload and the runtime share stderr, so the log is how
/// we tell "the workload exited 1" from "the runtime failed to start it".
/// </summary>
public static class RuntimeLog
{
    /// <summary>The runtime's errors come first and are short; a longer log is not read further.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>
    /// The first error the runtime logged, or null when it logged none. The log sits in a bundle,
    /// so it is read as <see cref="BundleFile"/> reads anything from there: a regular file of the
    /// runtime's owner (root), not a link or a FIFO, and only its first <see cref="MaxBytes"/>.
    /// </summary>
    public static string? FirstError(string logPath, uint owner = 0) =>
        Read(logPath, owner) is { } error ? Printable.Escape(error) : null; // it may quote the image's own names

    private static string? Read(string logPath, uint owner)
    {
        var log = BundleFile.Read(logPath, owner, MaxBytes);
        if (log.Refused is { } refused)
        {
            return $"the runtime's log was not read: {refused}";
        }

        if (log.Content is not { Length: > 0 } content)
        {
            return null;
        }

        foreach (string line in System.Text.Encoding.UTF8.GetString(content).Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (Error(line) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>The message of one log line that is an error ("level": "error" or "fatal"); a line that is not JSON counts as one.</summary>
    public static string? Error(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        try
        {
            using var doc = JsonDocument.Parse(line);
            var rootElement = doc.RootElement;
            return rootElement.ValueKind == JsonValueKind.Object
                && rootElement.TryGetProperty("level", out var level) && level.ValueKind == JsonValueKind.String
                && level.GetString() is "error" or "fatal"
                && rootElement.TryGetProperty("msg", out var msg) && msg.ValueKind == JsonValueKind.String
                ? msg.GetString()
                : null;
        }
        catch (JsonException)
        {
            return line.Trim(); // not JSON: surface it verbatim rather than hide it
        }
    }

    /// <summary>Maps a runtime start failure onto the exit-code contract (126/127/125).</summary>
    public static ErrorKindAndMessage Classify(string error)
    {
        bool exec = error.Contains("exec:", StringComparison.Ordinal) || error.Contains("executable", StringComparison.Ordinal);
        if (exec && (error.Contains("not found", StringComparison.Ordinal) || error.Contains("no such file", StringComparison.OrdinalIgnoreCase)))
        {
            return new(Runtime.ErrorKind.CommandNotFound, error);
        }

        if (exec && error.Contains("permission denied", StringComparison.OrdinalIgnoreCase))
        {
            return new(Runtime.ErrorKind.CommandNotExecutable, error);
        }

        return new(Runtime.ErrorKind.EngineFailed, error);
    }

    public readonly record struct ErrorKindAndMessage(Runtime.ErrorKind Kind, string Message);
}
