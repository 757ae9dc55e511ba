using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>
/// setfsuid(2)/setfsgid(2) for the calling thread: files it creates get these owners, and it may
/// create files where the owner must be mapped (a sandbox's own tmpfs, whose user namespace has no
/// host root: creating there as root fails with EOVERFLOW). While they are not 0 the thread has no
/// file capability either, so it writes only where that user may. Dispose restores root on the same
/// thread; use it only around synchronous work.
/// </summary>
internal sealed class FileSystemIds : IDisposable
{
    private const int SetFsUid = 122;
    private const int SetFsGid = 123;
    private readonly int _thread = Environment.CurrentManagedThreadId;

    private FileSystemIds(uint uid, uint gid)
    {
        Syscall.RequireX64();
        _ = LibC.syscall(SetFsGid, gid); // returns the previous ID whatever happened: checked below
        _ = LibC.syscall(SetFsUid, uid);
        if ((long)LibC.syscall(SetFsUid, uint.MaxValue) != uid || (long)LibC.syscall(SetFsGid, uint.MaxValue) != gid) // -1 is invalid: a query
        {
            Dispose();
            throw new IOException($"setfsuid {uid} / setfsgid {gid} did not take effect");
        }
    }

    public static FileSystemIds Become(uint uid, uint gid) => new(uid, gid);

    public void Dispose()
    {
        if (Environment.CurrentManagedThreadId != _thread)
        {
            throw new InvalidOperationException("file-system IDs are restored on the thread that set them");
        }

        _ = LibC.syscall(SetFsUid, 0);
        _ = LibC.syscall(SetFsGid, 0);
    }
}
