namespace Sandbox.Host.Probes;

/// <summary>Finds qemu-system-x86_64, reads its version, and checks `-machine help` for microvm.</summary>
public static class QemuProbe
{
    public const string Binary = "qemu-system-x86_64";
    private const string Install = "apt-get install qemu-system-x86";

    public static async Task<QemuResult> RunAsync(CancellationToken cancellationToken)
    {
        string? path = ExecutableLocator.Find(Binary);
        if (path is null)
        {
            return new(false, $"{Binary} not found on PATH", Install, null, null, false);
        }

        Task<CommandOutput> version = ExternalCommand.RunAsync(path, ["--version"], ExternalCommand.DefaultTimeout, cancellationToken);
        Task<CommandOutput> machines = ExternalCommand.RunAsync(path, ["-machine", "help"], ExternalCommand.DefaultTimeout, cancellationToken);
        return Evaluate(path, await version.ConfigureAwait(false), await machines.ConfigureAwait(false));
    }

    internal static QemuResult Evaluate(string path, CommandOutput version, CommandOutput machines)
    {
        if (!version.Succeeded)
        {
            string why = version.Error ?? $"--version exited {version.ExitCode}: {version.FirstLine()}";
            return new(false, $"{path}: {why}", Install, path, null, false);
        }

        // "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"
        string? versionText = OciRuntimeProbe.ParseVersionLine(version.Stdout);
        bool microvm = machines.Succeeded && HasMachine(machines.Stdout, "microvm");
        string shown = $"{path} {versionText ?? "unknown version"}";
        return microvm
            ? new(true, $"{shown}; microvm machine available", null, path, versionText, true)
            : new(false, $"{shown}; no microvm machine in -machine help", $"QEMU 4.0 or later with microvm: {Install}",
                path, versionText, false);
    }

    /// <summary>Lines of `-machine help` start with the machine name ("microvm   microvm (i386)").</summary>
    internal static bool HasMachine(string machineHelp, string machine) =>
        machineHelp.Split('\n').Any(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var first, ..] && first == machine);
}
