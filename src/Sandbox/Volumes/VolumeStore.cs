using System.Text.Json;
using Sandbox.Host;
using Sandbox.Host.Files;
using Sandbox.Host.Interop;
using Sandbox.Host.Mounts;
using Sandbox.Runtime;

namespace Sandbox.Volumes;

/// <summary>
/// Named volumes: host-owned directories under &lt;root&gt;/volumes/NAME/data. A sized volume's data
/// directory is a fixed-size ext4 image that only the host kernel mounts and writes (sandboxes see
/// files through a bind mount or the VMM, never the raw blocks). Nothing here deletes data except
/// an explicit `rm`.
/// </summary>
public sealed class VolumeStore(StateRoot root)
{
    private const string MetaFile = "meta.json";
    private const string LockFile = "lock";
    private const string DiskFile = "disk.ext4";
    private const string MountLockFile = "mount.lock";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);

    private string Dir => root.Volumes;

    /// <summary>The smallest sized volume: mkfs.ext4 makes nothing useful below it.</summary>
    public const long MinSize = 1L << 20;

    public async Task<VolumeInfo> CreateAsync(string name, long? sizeBytes, CancellationToken ct = default)
    {
        VolumeName.Validate(name);
        if (sizeBytes is < MinSize)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"--size: {sizeBytes} bytes is below the 1M a volume needs", "give e.g. --size 64M");
        }

        string final = Path.Combine(root.Ensure(Dir), name);
        if (Directory.Exists(final))
        {
            throw AlreadyExists(name);
        }

        string temp = Path.Combine(Dir, $".tmp-{name}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(Path.Combine(temp, "data"));
            if (sizeBytes is { } size)
            {
                await MakeDiskAsync(Path.Combine(temp, DiskFile), size, ct).ConfigureAwait(false);
            }

            var info = new VolumeInfo(name, DateTimeOffset.UtcNow, sizeBytes, Path.Combine(final, "data"), WrittenByUntrusted: false);
            WriteMeta(temp, info);
            File.WriteAllBytes(Path.Combine(temp, LockFile), []);
            try
            {
                Directory.Move(temp, final); // atomic publish: a crash leaves only a .tmp- directory, never a half volume
            }
            catch (IOException) when (Directory.Exists(final))
            {
                throw AlreadyExists(name); // another launcher auto-created it first
            }
            try
            {
                await EnsureMountedAsync(final, ct).ConfigureAwait(false);
            }
            catch
            {
                Directory.Delete(final, recursive: true);
                throw;
            }

            return info;
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    /// <summary>Marks a volume used by a sandbox until the returned lease is disposed; creates it when missing (of <paramref name="createSize"/> bytes, or unsized).</summary>
    public async Task<VolumeLease> AcquireAsync(string name, bool createIfMissing, long? createSize = null, CancellationToken ct = default)
    {
        string dir = Path.Combine(Dir, name);
        if (!Directory.Exists(dir))
        {
            if (!createIfMissing)
            {
                throw NotFound(name);
            }

            try
            {
                await CreateAsync(name, createSize, ct).ConfigureAwait(false);
            }
            catch (SandboxException e) when (e.Kind == ErrorKind.StateConflict)
            {
                // created concurrently by another launcher: use theirs
            }
        }

        // A shared lock per user: `rm` takes it exclusively, so it sees every live user.
        var use = new FileStream(Path.Combine(dir, LockFile), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        await EnsureMountedAsync(dir, ct).ConfigureAwait(false);
        return new VolumeLease(ReadMeta(dir), use);
    }

    public IReadOnlyList<VolumeInfo> List() =>
        !Directory.Exists(Dir) ? [] : [.. Directory.EnumerateDirectories(Dir)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .Select(d => ReadMeta(d) with { InUse = InUse(d) })];

    public VolumeInfo Inspect(string name)
    {
        VolumeName.Validate(name);
        string dir = Path.Combine(Dir, name);
        return Directory.Exists(dir) ? ReadMeta(dir) with { InUse = InUse(dir) } : throw NotFound(name);
    }

    /// <summary>The volume's taint as policy sees it: false for a volume that does not exist (yet).</summary>
    public bool WrittenByUntrusted(string name)
    {
        VolumeName.Validate(name);
        string dir = Path.Combine(Dir, name);
        return Directory.Exists(dir) && ReadMeta(dir).WrittenByUntrusted;
    }

    public void MarkWrittenByUntrusted(string name)
    {
        string dir = Path.Combine(Dir, name);
        var info = ReadMeta(dir);
        if (!info.WrittenByUntrusted)
        {
            WriteMeta(dir, info with { WrittenByUntrusted = true });
        }
    }

    /// <summary>Deletes a volume and its data. In use: refused, unless force (running users then lose the data).</summary>
    public void Remove(string name, bool force)
    {
        var info = Inspect(name);
        string dir = Path.Combine(Dir, name);
        if (info.InUse && !force)
        {
            throw new SandboxException(ErrorKind.StateConflict, $"volume '{name}' is in use by a running sandbox",
                "stop that sandbox first; --force deletes the data anyway, and the running sandbox then sees an empty, detached directory");
        }

        SafeRemove.Directory(dir);
    }

    private static async Task MakeDiskAsync(string path, long size, CancellationToken ct)
    {
        using (var disk = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            try
            {
                disk.SetLength(size); // sparse: host space is only used as the volume fills, never beyond its size
            }
            catch (Exception e) when (e is IOException or ArgumentOutOfRangeException)
            {
                throw new SandboxException(ErrorKind.InvalidArgument,
                    $"--size: {size} bytes is more than the file system under the state root can hold in one file", "give a smaller --size");
            }
        }

        string mkfs = ExecutableLocator.Find("mkfs.ext4") ?? throw new SandboxException(ErrorKind.HostUnsupported,
            "mkfs.ext4 is not installed; sized volumes need it", "apt-get install e2fsprogs");
        var result = await ExternalCommand.RunAsync(mkfs, ["-q", "-F", "-m", "0", "-E", "root_owner=0:0", path], ToolTimeout, ct).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new SandboxException(ErrorKind.HostUnsupported, $"mkfs.ext4 {path} failed: {result.FirstLine()}",
                "check --size and the space under the state root");
        }
    }

    /// <summary>
    /// A sized volume's data is its ext4 image, loop-mounted; an unsized volume's data directory is
    /// bound onto itself. Either way the host-side mount is nosuid,nodev: a setuid file or device
    /// node a sandbox left there is inert for the host too.
    /// </summary>
    private static async Task EnsureMountedAsync(string dir, CancellationToken ct)
    {
        string disk = Path.Combine(dir, DiskFile);
        string data = Path.Combine(dir, "data");
        if (MountTable.IsMountPoint(data))
        {
            return;
        }

        // Launchers that find it unmounted at once (e.g. after a reboot) take turns: one mounts, the rest see it mounted.
        using var turn = ExclusiveFileLock.Take(Path.Combine(dir, MountLockFile));
        if (MountTable.IsMountPoint(data))
        {
            return;
        }

        string mount = ExecutableLocator.Find("mount") ?? throw new SandboxException(ErrorKind.HostUnsupported, "mount is not installed", "apt-get install mount");
        if (!File.Exists(disk))
        {
            await Mount(mount, ["--bind", data, data], data, ct).ConfigureAwait(false);
            await Mount(mount, ["-o", "remount,bind,nosuid,nodev", data], data, ct).ConfigureAwait(false);
            return;
        }

        await Mount(mount, ["-t", "ext4", "-o", "loop,nosuid,nodev", disk, data], disk, ct).ConfigureAwait(false);
    }

    private static async Task Mount(string mount, IReadOnlyList<string> args, string what, CancellationToken ct)
    {
        var result = await ExternalCommand.RunAsync(mount, args, ToolTimeout, ct).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new SandboxException(ErrorKind.HostUnsupported, $"mounting the volume {what} failed: {result.FirstLine()}");
        }
    }

    private static bool InUse(string dir)
    {
        try
        {
            using var exclusive = new FileStream(Path.Combine(dir, LockFile), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static VolumeInfo ReadMeta(string dir) =>
        JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(dir, MetaFile)), VolumeJsonContext.Default.VolumeInfo)
        ?? throw new SandboxException(ErrorKind.StateConflict, $"{Path.Combine(dir, MetaFile)} is empty");

    private static void WriteMeta(string dir, VolumeInfo info)
    {
        string temp = Path.Combine(dir, $"{MetaFile}.{Guid.NewGuid():N}.tmp"); // concurrent launchers may mark one volume at once
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(info with { InUse = false }, VolumeJsonContext.Default.VolumeInfo));
        File.Move(temp, Path.Combine(dir, MetaFile), overwrite: true);
    }

    private static SandboxException AlreadyExists(string name) =>
        new(ErrorKind.StateConflict, $"volume '{name}' already exists", $"sandbox volume inspect {name}");

    private static SandboxException NotFound(string name) =>
        new(ErrorKind.InvalidArgument, $"volume '{name}' not found", "sandbox volume ls lists them; sandbox volume create NAME makes one");
}

/// <summary>A sandbox's use of a volume; disposing it ends the use.</summary>
public sealed class VolumeLease(VolumeInfo info, FileStream use) : IDisposable
{
    public VolumeInfo Info { get; } = info;

    public void Dispose() => use.Dispose();
}
