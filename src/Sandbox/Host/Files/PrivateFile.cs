namespace Sandbox.Host.Files;

/// <summary>Files only root may read: bundles' config.json files hold the workload's environment, which may carry secrets.</summary>
public static class PrivateFile
{
    /// <summary>Creates <paramref name="path"/> 0600 with <paramref name="content"/>; an existing file is an error, never overwritten.</summary>
    public static void Create(string path, byte[] content)
    {
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(content);
    }
}
