using System.Runtime.InteropServices;
using Sandbox.Runtime;

namespace Sandbox.Volumes;

/// <summary>
/// Host bind sources as the kernel will find them: each `-v /host/path:/x` source is replaced by its
/// canonical path (symlinks resolved) before policy sees it, so a rule granting /srv/samples/**
/// cannot be passed with /srv/samples/link -> /etc. The mount later opens exactly that path refusing
/// every symlink (<see cref="Host.Mounts.HostBind"/>), so a link planted in between fails instead of redirecting.
/// </summary>
public static partial class HostBindPath
{
    public static IReadOnlyList<VolumeSpec> Canonicalize(IReadOnlyList<VolumeSpec> specs) =>
        [.. specs.Select(s => s.IsBind ? s with { Source = Resolve(s.Source) } : s)];

    public static string Resolve(string path)
    {
        string? real = RealPath(path);
        if (real is null || !Directory.Exists(real))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"-v {path}: no such host directory",
                "a host bind mount needs an existing directory (files are not supported); for data the sandbox owns, use a named volume");
        }

        if (real.IndexOfAny([',', ':', '\\']) >= 0 || real.Any(char.IsControl))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"-v {path}: the host path {real} contains ',', ':', '\\' or a control character");
        }

        return real;
    }

    internal static string? RealPath(string path)
    {
        IntPtr resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc.so.6", EntryPoint = "free")]
    private static partial void free(IntPtr p);
}
