using Tmds.Linux;

namespace Sandbox.Images.Extraction;

/// <summary>
/// The rootfs being built, addressed only through directory descriptors: a path is walked one component
/// at a time with O_NOFOLLOW|O_DIRECTORY, so a symlink (or a file) where a directory is expected stops
/// the walk instead of leading it elsewhere.
/// </summary>
internal sealed class SafeTree(string rootfs) : IDisposable
{
    public const uint ImpliedDirectoryMode = 0b111_101_101; // 0755

    private readonly DirFd _root = DirFd.OpenHost(rootfs);

    public string Rootfs { get; } = rootfs;

    /// <summary>Each directory's time as its last layer gave it ("a/b"; "" is the root), set by <see cref="StampDirectories"/>.</summary>
    public Dictionary<string, EntryTime> DirectoryTimes { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The directory holding <paramref name="path"/>'s last component. Missing parents are created (0755)
    /// when <paramref name="create"/> is set, else null is returned. Every parent visited is added to
    /// <paramref name="touched"/> (as "a/b") when given.
    /// </summary>
    public DirFd? Parent(EntryPath path, bool create, HashSet<string>? touched = null)
    {
        DirFd current = _root.OpenChild(".", out _) ?? throw new IOException($"cannot reopen {Rootfs}");
        string walked = string.Empty;
        foreach (string part in path.Parents)
        {
            walked = walked.Length == 0 ? part : $"{walked}/{part}";
            DirFd? next = current.OpenChild(part, out int errno);
            if (next is null && errno == LibC.ENOENT && create)
            {
                current.MakeDirectory(part, ImpliedDirectoryMode);
                current.SetMode(part, ImpliedDirectoryMode);
                next = current.OpenChild(part, out errno);
            }

            if (next is null)
            {
                current.Dispose();
                if (errno == LibC.ENOENT)
                {
                    return null;
                }

                throw new LayerRefusedException(
                    $"entry '{path}' goes through '/{walked}', which is a symlink or not a directory; extraction never follows links");
            }

            touched?.Add(walked);
            current.Dispose();
            current = next;
        }

        return current;
    }

    /// <summary>Makes /name an empty real directory (a fresh mount point), whatever the image put there.</summary>
    public void EnsureMountPoint(string name)
    {
        if (_root.Kind(name) != NodeKind.Directory || name != "tmp")
        {
            _root.Remove(name);
            _root.MakeDirectory(name, ImpliedDirectoryMode);
        }

        _root.SetMode(name, name == "tmp" ? 0b1_111_111_111u : ImpliedDirectoryMode);
    }

    /// <summary>
    /// Gives every directory its recorded time (the epoch for those the import made itself), deepest
    /// first and after every layer, since each entry written below a directory changed its time.
    /// </summary>
    public void StampDirectories()
    {
        using DirFd root = _root.OpenChild(".", out _) ?? throw new IOException($"cannot reopen {Rootfs}");
        Stamp(root, string.Empty);
        _root.SetTime(".", DirectoryTimes.GetValueOrDefault(string.Empty, EntryTime.Epoch));
    }

    private void Stamp(DirFd dir, string walked)
    {
        foreach (string name in dir.List())
        {
            if (dir.Kind(name) != NodeKind.Directory)
            {
                continue;
            }

            string key = walked.Length == 0 ? name : $"{walked}/{name}";
            using (DirFd child = dir.OpenChild(name, out _) ?? throw new IOException($"cannot open '{key}' in {Rootfs}"))
            {
                Stamp(child, key);
            }

            dir.SetTime(name, DirectoryTimes.GetValueOrDefault(key, EntryTime.Epoch));
        }
    }

    /// <summary>The root directory itself (mode of a "./" entry).</summary>
    public void SetRootMode(uint mode) => _root.SetMode(".", mode);

    public void Dispose() => _root.Dispose();
}
