using System.Text.Json;

namespace Sandbox.Backends.Container;

/// <summary>
/// Reads the OCI runtime's JSON log. The workload and the runtime share stderr, so the log is how
/// we tell "the workload exited 1" from "the runtime failed to start it".
/// </summary>
public static class RuntimeLog
{
    /// <summary>The first error the runtime logged, or null when it logged none.</summary>
    public static string? FirstError(string logPath)
    {
        if (!File.Exists(logPath))
        {
            return null;
        }

        foreach (string line in File.ReadLines(logPath))
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
