using Sandbox.Host;
using Sandbox.Host.Files;
using Sandbox.Host.Interop;
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
                    $"command '{Printable.Escape(command)}' not found in image '{image.Reference}'",
                    command.Contains('/', StringComparison.Ordinal) ? null : $"searched PATH={searchPath}");
            case CommandStatus.NotExecutable:
                throw new SandboxException(ErrorKind.CommandNotExecutable,
                    $"'{Printable.Escape(path ?? command)}' in image '{image.Reference}' cannot be executed (a directory, or no execute permission)");
        }
    }

    /// <param name="fromImage">The directory is the image's WorkingDir, not a -w flag (named in the error).</param>
    public static void WorkingDir(Image image, string cwd, IReadOnlyList<string> volumeTargets, bool fromImage = false)
    {
        string what = fromImage ? $"image '{image.Reference}': WorkingDir" : "-w";
        if (CanonicalPath.Problem(cwd) is { } problem)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"{what}: working directory '{Printable.Escape(cwd)}' {problem}",
                "give the directory as a plain absolute path such as /srv/app (no '.', '..' or '//')");
        }

        if (Under(cwd, ["/tmp", .. volumeTargets]))
        {
            return; // the runtime creates it inside the sandbox's writable /tmp, or it is on a volume
        }

        if (!ExistsInRoot(image.RootfsPath, cwd))
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"{what}: working directory '{Printable.Escape(cwd)}' does not exist in image '{image.Reference}'",
                "the root filesystem is read-only; use an existing directory or one under /tmp");
        }
    }

    // The kernel resolves it with the rootfs as "/": links and ".." cannot leave it, and no /proc magic link is followed.
    private static bool ExistsInRoot(string rootfs, string path)
    {
        try
        {
            using var root = OpenHow.Directory(rootfs);
            using var dir = OpenHow.DirectoryInRoot(root, path);
            return true;
        }
        catch (MountException)
        {
            return false;
        }
    }

    private static bool Under(string path, IEnumerable<string> mounts) =>
        mounts.Any(m => path == m || path.StartsWith(m + "/", StringComparison.Ordinal));
}
