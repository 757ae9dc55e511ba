using Microsoft.Win32.SafeHandles;
using Sandbox.Runtime;
using Sandbox.Volumes;
using Tmds.Linux;

namespace Sandbox.Images.Formats;

/// <summary>
/// What `image import PATH` (or `run DIR`) reads, opened once: the path is resolved (the user's own
/// symlinks are followed), then opened with O_NOFOLLOW|O_NONBLOCK and judged by fstat, so a link
/// swapped in afterwards, a FIFO that would block or a device that never ends (/dev/zero) is refused
/// before a byte is read. Everything after reads through the descriptor (<see cref="ReadPath"/>).
/// </summary>
internal sealed class ImportSource : IDisposable
{
    private readonly SafeFileHandle _handle;

    private ImportSource(string path, SafeFileHandle handle, bool isDirectory, long size)
    {
        Path = path;
        _handle = handle;
        IsDirectory = isDirectory;
        Size = size;
    }

    /// <summary>The resolved path, for messages.</summary>
    public string Path { get; }

    public bool IsDirectory { get; }

    /// <summary>The regular file's size when opened (0 for a directory).</summary>
    public long Size { get; }

    public const string Accepted =
        "sandbox image import takes a docker-archive or oci-archive (a tar, optionally gzip or zstd compressed), an OCI layout directory, or a root filesystem as a tar or a directory";

    /// <summary>
    /// The opened file or directory as a path (/proc/PID/fd/N): opening it reopens the same inode,
    /// whatever happens to <see cref="Path"/> meanwhile. Also valid for a tool this process starts (zstd).
    /// </summary>
    public string ReadPath => $"/proc/{Environment.ProcessId}/fd/{(int)_handle.DangerousGetHandle()}";

    /// <summary>The descriptor itself (a directory walk starts from it).</summary>
    public SafeFileHandle Handle => _handle;

    public static ImportSource Open(string given)
    {
        string path = HostBindPath.RealPath(given) ?? throw new SandboxException(ErrorKind.ImageNotFound,
            $"{given}: no such file or directory", Accepted);
        var (handle, type, size) = SourceFile.Open(path, path);
        if (type == (uint)LibC.S_IFDIR)
        {
            return new ImportSource(path, handle, isDirectory: true, 0);
        }

        if (type == (uint)LibC.S_IFREG)
        {
            return new ImportSource(path, handle, isDirectory: false, size);
        }

        handle.Dispose();
        throw SourceFile.Refused(path, Host.Files.OpenedFile.Describe(type));
    }

    public void Dispose() => _handle.Dispose();
}
