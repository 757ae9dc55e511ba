using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandbox.Images.Extraction;

/// <summary>What is at a name inside a directory, looked at without following a symlink.</summary>
internal enum NodeKind
{
    Missing,
    Directory,
    RegularFile,
    Symlink,
    Other,
}

/// <summary>What lstat/fstat said of a node: the parts a directory walk copies.</summary>
internal sealed record NodeInfo(NodeKind Kind, uint Mode, uint Uid, uint Gid, long Size, long MtimeSeconds)
{
    public static NodeInfo From(stat st)
    {
        uint mode = (uint)st.st_mode;
        uint type = mode & (uint)LibC.S_IFMT;
        var kind = type == (uint)LibC.S_IFDIR ? NodeKind.Directory
            : type == (uint)LibC.S_IFREG ? NodeKind.RegularFile
            : type == (uint)LibC.S_IFLNK ? NodeKind.Symlink
            : NodeKind.Other;
        return new NodeInfo(kind, mode, st.st_uid, st.st_gid, st.st_size, st.st_mtim.tv_sec);
    }

    /// <summary>What the node is, as a phrase: "is a directory", "is a character device", ...</summary>
    public string Described => Host.Files.OpenedFile.Describe(Mode & (uint)LibC.S_IFMT);

    /// <summary>The S_IFMT bits: tells a device from a FIFO or socket among <see cref="NodeKind.Other"/>.</summary>
    public uint Type => Mode & (uint)LibC.S_IFMT;
}

/// <summary>
/// An open directory, and the *at() operations relative to it. Every call names one path component
/// (never a slash) and none follows a symlink, so nothing an image contains can steer a write outside it.
/// </summary>
internal sealed unsafe class DirFd : IDisposable
{
    private static readonly int DirFlags = LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;

    private int _fd;

    private DirFd(int fd) => _fd = fd;

    /// <summary>Opens a trusted host directory (the rootfs being built), refusing a symlink at its last component.</summary>
    public static DirFd OpenHost(string path)
    {
        // SAFETY: the path bytes are pinned and NUL-terminated for the call.
        fixed (byte* p = Utf8(path))
        {
            int fd = LibC.openat(LibC.AT_FDCWD, p, DirFlags, 0);
            return fd >= 0 ? new DirFd(fd) : throw Failure("open", path);
        }
    }

    /// <summary>
    /// Opens a directory the caller trusts by its whole path, symlinks included (a host path the user
    /// gave, or /proc/PID/root, the magic link to a sandbox's root): everything below is then walked
    /// from it without following links.
    /// </summary>
    public static DirFd OpenTrusted(string path)
    {
        // SAFETY: as in OpenHost.
        fixed (byte* p = Utf8(path))
        {
            int fd = LibC.openat(LibC.AT_FDCWD, p, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
            return fd >= 0 ? new DirFd(fd) : throw Failure("open", path);
        }
    }

    /// <summary>Whether the file system holding this directory is mounted read-only (fstatvfs ST_RDONLY).</summary>
    public bool ReadOnly
    {
        get
        {
            statvfs st;
            // SAFETY: st is a local the kernel fills.
            Check(LibC.fstatvfs(_fd, &st), "statvfs", ".");
            return (st.f_flag & (ulong)LibC.ST_RDONLY) != 0;
        }
    }

    /// <summary>A second descriptor for an already open directory (an import source), independent of any path.</summary>
    public static DirFd Reopen(SafeFileHandle directory, string shown)
    {
        // SAFETY: "." is a pinned NUL-terminated literal; the handle stays open for the call.
        fixed (byte* p = "."u8)
        {
            int fd = LibC.openat((int)directory.DangerousGetHandle(), p, DirFlags, 0);
            return fd >= 0 ? new DirFd(fd) : throw Failure("open", shown);
        }
    }

    /// <summary>lstat of a child, all of it (a directory walk copies owner, mode and mtime).</summary>
    public NodeInfo Info(string name)
    {
        stat st;
        // SAFETY: the name is pinned and NUL-terminated; st is a local the kernel fills.
        fixed (byte* p = Utf8(name))
        {
            Check(LibC.fstatat(_fd, p, &st, LibC.AT_SYMLINK_NOFOLLOW), "lstat", name);
        }

        return NodeInfo.From(st);
    }

    /// <summary>
    /// Opens a child regular file for reading with O_NOFOLLOW|O_NONBLOCK and returns it with what fstat
    /// says of the opened inode. What was opened decides, not what lstat said a moment before: a child
    /// swapped for a link fails (ELOOP), one swapped for a FIFO or device does not block and is refused
    /// as changed (named <paramref name="shown"/>).
    /// </summary>
    public (FileStream File, NodeInfo Info) OpenRegularFile(string name, string shown)
    {
        int fd;
        // SAFETY: as in OpenHost.
        fixed (byte* p = Utf8(name))
        {
            fd = LibC.openat(_fd, p, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_NONBLOCK | LibC.O_NOCTTY | LibC.O_CLOEXEC, 0);
        }

        Check(fd < 0 ? -1 : 0, "open", name);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        stat st;
        // SAFETY: st is a local the kernel fills.
        if (LibC.fstat(fd, &st) != 0)
        {
            var error = Failure("stat", name);
            handle.Dispose();
            throw error;
        }

        var info = NodeInfo.From(st);
        if (info.Kind != NodeKind.RegularFile)
        {
            handle.Dispose();
            throw new IOException($"'{shown}' changed while it was read (it is no longer a regular file)");
        }

        return (new FileStream(handle, FileAccess.Read, bufferSize: 0), info);
    }

    /// <summary>readlink of a child (never followed).</summary>
    public string ReadLink(string name)
    {
        byte[] buffer = new byte[4097];
        long n;
        // SAFETY: the name and the buffer are pinned for the call; the kernel writes at most buffer.Length bytes.
        fixed (byte* p = Utf8(name))
        fixed (byte* b = buffer)
        {
            n = (long)LibC.readlinkat(_fd, p, b, buffer.Length);
        }

        Check(n < 0 ? -1 : 0, "readlink", name);
        return n < buffer.Length ? Encoding.UTF8.GetString(buffer, 0, (int)n) : throw new IOException($"readlink '{name}': the target is too long");
    }

    /// <summary>Opens a child directory; null (with <paramref name="errno"/>) when missing, a symlink or not a directory.</summary>
    public DirFd? OpenChild(string name, out int errno)
    {
        // SAFETY: as in OpenHost.
        fixed (byte* p = Utf8(name))
        {
            int fd = LibC.openat(_fd, p, DirFlags, 0);
            errno = fd >= 0 ? 0 : LibC.errno;
            return fd >= 0 ? new DirFd(fd) : null;
        }
    }

    public NodeKind Kind(string name) => Stat(name, out _, out _);

    /// <summary>lstat of a child: its kind, mode bits and link count.</summary>
    public NodeKind Stat(string name, out uint mode, out ulong links)
    {
        stat st;
        int rc;
        // SAFETY: the name is pinned and NUL-terminated; st is a local the kernel fills.
        fixed (byte* p = Utf8(name))
        {
            rc = LibC.fstatat(_fd, p, &st, LibC.AT_SYMLINK_NOFOLLOW);
        }

        if (rc != 0)
        {
            (mode, links) = (0, 0);
            return LibC.errno == LibC.ENOENT ? NodeKind.Missing : throw Failure("lstat", name);
        }

        mode = (uint)st.st_mode;
        links = st.st_nlink;
        uint type = mode & (uint)LibC.S_IFMT;
        return type == (uint)LibC.S_IFDIR ? NodeKind.Directory
            : type == (uint)LibC.S_IFREG ? NodeKind.RegularFile
            : type == (uint)LibC.S_IFLNK ? NodeKind.Symlink
            : NodeKind.Other;
    }

    public void MakeDirectory(string name, uint mode)
    {
        // SAFETY: as in OpenHost.
        fixed (byte* p = Utf8(name))
        {
            Check(LibC.mkdirat(_fd, p, (mode_t)mode), "mkdir", name);
        }
    }

    /// <summary>chmod of a child the caller has just seen is not a symlink (Linux fchmodat cannot refuse links).</summary>
    public void SetMode(string name, uint mode)
    {
        // SAFETY: as in OpenHost.
        fixed (byte* p = Utf8(name))
        {
            Check(LibC.fchmodat(_fd, p, (mode_t)mode, 0), "chmod", name);
        }
    }

    /// <summary>lchown of a child: never follows a symlink (AT_SYMLINK_NOFOLLOW), so a link itself gets the owner.</summary>
    public void SetOwner(string name, uint uid, uint gid)
    {
        // SAFETY: as in OpenHost.
        fixed (byte* p = Utf8(name))
        {
            Check(LibC.fchownat(_fd, p, uid, gid, LibC.AT_SYMLINK_NOFOLLOW), "chown", name);
        }
    }

    /// <summary>
    /// Sets a child's access and modification time to <paramref name="time"/>; AT_SYMLINK_NOFOLLOW, so
    /// a symlink gets its own time and nothing it points at is touched.
    /// </summary>
    public void SetTime(string name, EntryTime time)
    {
        timespec* times = stackalloc timespec[2];
        times[0].tv_sec = time.Seconds;
        times[0].tv_nsec = (long_t)time.Nanoseconds;
        times[1] = times[0];
        // SAFETY: as in OpenHost; times points at two stack timespecs for the call.
        fixed (byte* p = Utf8(name))
        {
            Check(LibC.utimensat(_fd, p, times, LibC.AT_SYMLINK_NOFOLLOW), "utimes", name);
        }
    }

    /// <summary>fchown through an open file: the very inode that was just written, nothing a path could redirect.</summary>
    public static void SetOwner(FileStream file, uint uid, uint gid) =>
        Check(LibC.fchown((int)file.SafeFileHandle.DangerousGetHandle(), uid, gid), "chown", file.Name);

    /// <summary>Creates a new regular file (O_EXCL|O_NOFOLLOW: never an existing file, never through a link).</summary>
    public FileStream CreateFile(string name, uint mode)
    {
        int fd;
        // SAFETY: as in OpenHost.
        fixed (byte* p = Utf8(name))
        {
            fd = LibC.openat(_fd, p, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, (mode_t)mode);
        }

        Check(fd < 0 ? -1 : 0, "create", name);
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }

    /// <summary>fchmod through an open file: exact even when umask trimmed the creation mode.</summary>
    public static void SetMode(FileStream file, uint mode) =>
        Check(LibC.fchmod((int)file.SafeFileHandle.DangerousGetHandle(), (mode_t)mode), "chmod", file.Name);

    public void Symlink(string name, string target)
    {
        // SAFETY: both strings are pinned and NUL-terminated for the call.
        fixed (byte* t = Utf8(target))
        fixed (byte* p = Utf8(name))
        {
            Check(LibC.symlinkat(t, _fd, p), "symlink", name);
        }
    }

    /// <summary>A hard link to a child of <paramref name="sourceDir"/>, never following a symlink (linkat flags 0).</summary>
    public void HardLink(string name, DirFd sourceDir, string source)
    {
        // SAFETY: both strings are pinned and NUL-terminated for the call.
        fixed (byte* s = Utf8(source))
        fixed (byte* p = Utf8(name))
        {
            Check(LibC.linkat(sourceDir._fd, s, _fd, p, 0), "link", name);
        }
    }

    /// <summary>Removes a child of any kind; a directory with everything below it, without following links.</summary>
    public void Remove(string name)
    {
        NodeKind kind = Kind(name);
        if (kind == NodeKind.Missing)
        {
            return;
        }

        if (kind == NodeKind.Directory)
        {
            using (DirFd child = OpenChild(name, out _) ?? throw Failure("open", name))
            {
                foreach (string entry in child.List())
                {
                    child.Remove(entry);
                }
            }
        }

        // SAFETY: as in OpenHost.
        fixed (byte* p = Utf8(name))
        {
            Check(LibC.unlinkat(_fd, p, kind == NodeKind.Directory ? LibC.AT_REMOVEDIR : 0), "remove", name);
        }
    }

    /// <summary>The names in this directory, read through the pinned descriptor (/proc/self/fd), not a path.</summary>
    public List<string> List() =>
        [.. Directory.EnumerateFileSystemEntries($"/proc/self/fd/{_fd}").Select(Path.GetFileName).OfType<string>()];

    public void Dispose()
    {
        if (_fd >= 0)
        {
            _ = LibC.close(_fd); // a read-only directory descriptor: nothing to flush, nothing to report
            _fd = -1;
        }
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s + "\0");

    private static void Check(int rc, string operation, string name)
    {
        if (rc != 0)
        {
            throw Failure(operation, name);
        }
    }

    private static IOException Failure(string operation, string name) =>
        new($"{operation} '{name}': {Host.Interop.Errno.Describe(LibC.errno)}");
}
