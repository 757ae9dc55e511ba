namespace Sandbox.Backends.MicroVm.Guest;

/// <summary>The guest console (ttyS0), logged to a file in the run directory, for failure reports.</summary>
public static class ConsoleLog
{
    public static string Tail(string path, int lines = 15)
    {
        if (!File.Exists(path))
        {
            return "(no console output)";
        }

        string[] all = File.ReadAllText(path).Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return all.Length == 0 ? "(no console output)" : string.Join('\n', all.TakeLast(lines).Select(l => "  | " + l));
    }

    /// <summary>The "Kernel panic - not syncing: ..." line, if the guest kernel panicked.</summary>
    public static string? Panic(string path) =>
        File.Exists(path)
            ? File.ReadLines(path).Select(l => l.Trim()).FirstOrDefault(l => l.Contains("Kernel panic", StringComparison.Ordinal))
            : null;
}
