namespace Sandbox.Lifecycle;

/// <summary>Removes a detached sandbox's files (log, lock, socket) once its row is gone.</summary>
public static class SandboxDirectory
{
    public static void Remove(SandboxPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (Directory.Exists(paths.Dir))
        {
            Directory.Delete(paths.Dir, recursive: true);
        }
    }
}
