using System.Formats.Tar;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Sandbox.Runtime;
using Tmds.Linux;
using static Tmds.Linux.LibC;
using Sandbox.Host.Interop;

namespace Sandbox.Volumes;

/// <summary>What an export wrote and what it left out.</summary>
/// <param name="NotUtf8">Entries left out because .NET lists names as UTF-8 text and these are not: their bytes cannot be named.</param>
public sealed record ExportReport(int Files, int Directories, int Symlinks, int StrippedSetId, IReadOnlyList<string> Skipped, IReadOnlyList<string> NotUtf8);

/// <summary>
/// `sandbox volume export NAME DIR|-`: copies a volume's data out for host users without working in
/// the raw directory, which a sandbox wrote. The walk is relative to directory descriptors and never
/// follows a link (symlinks are copied as symlinks, not read through); setuid and setgid bits are
/// dropped; device nodes, FIFOs and sockets are left out and named. To '-' it writes a tar stream;
/// to DIR (which must not exist) it creates the tree below a directory it just made, owned by root.
/// A volume a microVM wrote is exported as the guest made it (<see cref="GuestMode"/>), under the same rules.
/// </summary>
public static unsafe class VolumeExport
{
    private const uint SetIdBits = 0b110_000_000_000; // S_ISUID | S_ISGID
    private static readonly int DirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

    public static ExportReport ToTar(string dataDir, Stream output)
    {
        using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        var report = new Counter();
        Walk(Open(AT_FDCWD, dataDir, DirFlags, dataDir), "", report, new TarSink(writer));
        return report.Result();
    }

    public static ExportReport ToDirectory(string dataDir, string target)
    {
        string full = Path.GetFullPath(target);
        if (Path.Exists(full))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"volume export: {full} already exists", "name a directory that does not exist yet; it is created");
        }

        Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        int outFd = Open(AT_FDCWD, full, DirFlags, full); // from here on, only descriptors: a swapped path changes nothing
        var report = new Counter();
        try
        {
            Walk(Open(AT_FDCWD, dataDir, DirFlags, dataDir), "", report, new DirectorySink(outFd));
        }
        finally
        {
            _ = close(outFd);
        }

        return report.Result();
    }

    private static void Walk(int dirFd, string relative, Counter report, ISink sink)
    {
        try
        {
            foreach (string name in Directory.EnumerateFileSystemEntries($"/proc/self/fd/{dirFd}").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal))
            {
                string path = relative.Length == 0 ? name : $"{relative}/{name}";
                if (name.Contains('\uFFFD', StringComparison.Ordinal))
                {
                    report.NotUtf8.Add(path); // its real bytes are lost in the listing: said, never silently dropped
                    continue;
                }

                stat st;
                // SAFETY: the name is pinned and NUL-terminated; st is a local the kernel fills.
                fixed (byte* p = Utf8(name))
                {
                    if (fstatat(dirFd, p, &st, AT_SYMLINK_NOFOLLOW) != 0)
                    {
                        continue; // removed meanwhile
                    }
                }

                uint mode = (uint)st.st_mode & 0b111_111_111_111;
                switch ((uint)st.st_mode & (uint)S_IFMT)
                {
                    case var t when t == (uint)S_IFDIR:
                        int sub = Open(dirFd, name, DirFlags, path);
                        if (GuestMode.Of(sub) is { } g && (g & (uint)S_IFMT) == (uint)S_IFDIR)
                        {
                            mode = g & 0b111_111_111_111; // a directory a microVM made: its mode as the guest set it
                        }

                        report.Directories++;
                        try
                        {
                            sink.Directory(path, Stripped(mode, report));
                        }
                        catch
                        {
                            _ = close(sub);
                            throw;
                        }

                        Walk(sub, path, report, sink);
                        break;
                    case var t when t == (uint)S_IFREG:
                        int fd = Open(dirFd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, path);
                        using (var file = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read))
                        {
                            RegularFile(path, mode, st.st_size, GuestMode.Of(fd), file, report, sink);
                        }

                        break;
                    case var t when t == (uint)S_IFLNK:
                        report.Symlinks++;
                        sink.Symlink(path, ReadLink(dirFd, name));
                        break;
                    default:
                        report.Skipped.Add(path);
                        break;
                }
            }
        }
        finally
        {
            _ = close(dirFd);
        }
    }

    /// <summary>
    /// A regular file on the host, which a microVM may have made as something else (see
    /// <see cref="GuestMode"/>): a guest symlink is copied as the symlink it is, a guest FIFO, device
    /// or socket is left out, and a guest file gets the guest's mode.
    /// </summary>
    private static void RegularFile(string path, uint mode, long size, uint? guest, FileStream file, Counter report, ISink sink)
    {
        uint type = (guest ?? 0) & (uint)S_IFMT;
        if (type == (uint)S_IFLNK && size < 4096 && MappedTarget(file) is { } target)
        {
            report.Symlinks++;
            sink.Symlink(path, target);
        }
        else if (type == (uint)S_IFIFO || type == (uint)S_IFCHR || type == (uint)S_IFBLK || type == (uint)S_IFSOCK)
        {
            report.Skipped.Add(path);
        }
        else
        {
            report.Files++;
            sink.File(path, Stripped(type == (uint)S_IFREG ? guest!.Value & 0b111_111_111_111 : mode, report), file);
        }
    }

    // The target a guest symlink's file holds; null when it cannot be one (empty, or a NUL, which no
    // path holds), and the file is then read again from its start as the plain file it is.
    private static string? MappedTarget(FileStream file)
    {
        byte[] bytes = Host.Files.OpenedFile.ReadUpTo(file, 4096);
        if (bytes.Length > 0 && !bytes.Contains((byte)0))
        {
            return Encoding.UTF8.GetString(bytes);
        }

        file.Position = 0;
        return null;
    }

    private static uint Stripped(uint mode, Counter report)
    {
        if ((mode & SetIdBits) == 0)
        {
            return mode;
        }

        report.StrippedSetId++;
        return mode & ~SetIdBits;
    }

    private static string ReadLink(int dirFd, string name)
    {
        var buffer = new byte[4096];
        ssize_t n;
        // SAFETY: both buffers are pinned for the call; the kernel writes at most buffer.Length bytes.
        fixed (byte* p = Utf8(name))
        fixed (byte* b = buffer)
        {
            n = readlinkat(dirFd, p, b, buffer.Length);
        }

        return n >= 0 ? Encoding.UTF8.GetString(buffer, 0, (int)n) : throw Failure("readlink", name);
    }

    private static int Open(int dirFd, string name, int flags, string shown)
    {
        // SAFETY: the name is pinned and NUL-terminated for the call.
        fixed (byte* p = Utf8(name))
        {
            int fd = openat(dirFd, p, flags, 0b110_000_000);
            return fd >= 0 ? fd : throw Failure("open", shown);
        }
    }

    private static SandboxException Failure(string what, string path) =>
        new(ErrorKind.StateConflict, $"volume export: cannot {what} {path}: {Errno.Describe(errno)}", "a symlink or a special file where a directory or file was; nothing was followed");

    private static byte[] Utf8(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    private sealed class Counter
    {
        public int Files, Directories, Symlinks, StrippedSetId;
        public List<string> Skipped { get; } = [];

        public List<string> NotUtf8 { get; } = [];

        public ExportReport Result() => new(Files, Directories, Symlinks, StrippedSetId, Skipped, NotUtf8);
    }

    private interface ISink
    {
        void Directory(string path, uint mode);

        void File(string path, uint mode, FileStream content);

        void Symlink(string path, string target);
    }

    private sealed class TarSink(TarWriter writer) : ISink
    {
        public void Directory(string path, uint mode) =>
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, path + "/") { Mode = (UnixFileMode)mode });

        public void File(string path, uint mode, FileStream content) =>
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { Mode = (UnixFileMode)mode, DataStream = content });

        public void Symlink(string path, string target) =>
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, path) { LinkName = target, Mode = (UnixFileMode)0b111_111_111 });
    }

    // Every path below is resolved under the export's own fresh 0700 directory, through its descriptor.
    private sealed class DirectorySink(int outFd) : ISink
    {
        public void Directory(string path, uint mode)
        {
            // SAFETY: the path is pinned and NUL-terminated for the call.
            fixed (byte* p = Utf8(path))
            {
                if (mkdirat(outFd, p, (mode_t)(mode & 0b111_111_111)) != 0)
                {
                    throw Failure("create", path);
                }
            }
        }

        public void File(string path, uint mode, FileStream content)
        {
            int fd;
            // SAFETY: as above.
            fixed (byte* p = Utf8(path))
            {
                fd = openat(outFd, p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)(mode & 0b1_111_111_111));
            }

            if (fd < 0)
            {
                throw Failure("create", path);
            }

            using var file = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write);
            content.CopyTo(file);
        }

        public void Symlink(string path, string target)
        {
            // SAFETY: both strings are pinned and NUL-terminated for the call.
            fixed (byte* t = Utf8(target))
            fixed (byte* p = Utf8(path))
            {
                if (symlinkat(t, outFd, p) != 0)
                {
                    throw Failure("create", path);
                }
            }
        }
    }
}
