using Sandbox.Images;

namespace Sandbox.Runtime;

/// <summary>Checks made before any engine starts, so the user gets 126/127 with a clear message.</summary>
public static class WorkloadChecks
{
    public static void Command(Image image, string command, IReadOnlyList<string> env, IReadOnlyList<string> volumeTargets)
    {
        if (Under(command, volumeTargets))
        {
            return; // lives on a volume: only the engine can tell
        }

        string searchPath = env.FirstOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "/usr/bin:/bin";
        var (status, path) = RootfsLookup.FindCommand(image.RootfsPath, command, searchPath);
        switch (status)
        {
            case CommandStatus.NotFound:
                throw new SandboxException(ErrorKind.CommandNotFound,
                    $"command '{command}' not found in image '{image.Reference}'",
                    command.Contains('/', StringComparison.Ordinal) ? null : $"searched PATH={searchPath}");
            case CommandStatus.NotExecutable:
                throw new SandboxException(ErrorKind.CommandNotExecutable,
                    $"'{path}' in image '{image.Reference}' cannot be executed (a directory, or no execute permission)");
        }
    }

    public static void WorkingDir(Image image, string cwd, IReadOnlyList<string> volumeTargets)
    {
        if (!cwd.StartsWith('/'))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"-w: '{cwd}' is not an absolute path", "use e.g. -w /tmp");
        }

        if (Under(cwd, ["/tmp", .. volumeTargets]))
        {
            return; // the runtime creates it inside the sandbox's writable /tmp, or it is on a volume
        }

        string? host = RootfsLookup.Resolve(image.RootfsPath, cwd);
        if (host is null || !Directory.Exists(host))
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"-w: working directory '{cwd}' does not exist in image '{image.Reference}'",
                "the root filesystem is read-only; use an existing directory or one under /tmp");
        }
    }

    private static bool Under(string path, IEnumerable<string> mounts) =>
        mounts.Any(m => path == m || path.StartsWith(m + "/", StringComparison.Ordinal));
}
