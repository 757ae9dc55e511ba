namespace Sandbox.Host.Files;

/// <summary>
/// A file's identity as stat(2) reports it (following symlinks): device, inode, size, mtime and
/// ctime in nanoseconds. Any write to the file, a rename over it or a metadata change gives it a new
/// ctime, which userspace cannot set back, so an unchanged identity means unchanged content.
/// </summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode, long Size, long MtimeNs, long CtimeNs)
{
    public static FileIdentity Of(string path)
    {
        Tmds.Linux.stat st = PathStat.Of(path, followLinks: true);
        return new FileIdentity((ulong)st.st_dev, (ulong)st.st_ino, st.st_size,
            (st.st_mtim.tv_sec * 1_000_000_000L) + st.st_mtim.tv_nsec, (st.st_ctim.tv_sec * 1_000_000_000L) + st.st_ctim.tv_nsec);
    }

    public override string ToString() => $"{Device} {Inode} {Size} {MtimeNs} {CtimeNs}";
}
