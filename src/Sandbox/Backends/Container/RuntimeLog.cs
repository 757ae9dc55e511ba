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

            try
            {
                using var doc = JsonDocument.Parse(line);
                var rootElement = doc.RootElement;
                if (rootElement.TryGetProperty("level", out var level) && level.GetString() is "error" or "fatal"
                    && rootElement.TryGetProperty("msg", out var msg))
                {
                    return msg.GetString();
                }
            }
            catch (JsonException)
            {
                return line.Trim(); // not JSON: surface it verbatim rather than hide it
            }
        }

        return null;
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
