using Sandbox.Images.Extraction;
using Sandbox.Runtime;

namespace Sandbox.Lifecycle.Copy;

/// <summary>The host's side of `sandbox cp`: the path the user gave is trusted up to its last component; below it nothing is followed.</summary>
internal static class HostSide
{
    /// <summary>A tar of the host node <paramref name="path"/> (its directory's path is trusted, the node itself and everything below are never followed).</summary>
    public static void Source(string path, Stream output, string? entryName = null)
    {
        var (parent, name) = Node(path);
        using (parent)
        {
            TreeTar.Write(parent, name, output, entryName);
        }
    }

    /// <summary>Refuses, before any transfer starts, a host source <see cref="Source"/> would refuse.</summary>
    public static void CheckSource(string path) => Node(path).Parent.Dispose();

    /// <summary>The node's directory, opened, and its name; the host's root, a missing node and a device, FIFO or socket are refused.</summary>
    private static (DirFd Parent, string Name) Node(string path)
    {
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full.TrimEnd('/'));
        if (name.Length == 0)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"cp: '{path}': copy a path below /, not the host's root");
        }

        var parent = DirFd.OpenTrusted(Path.GetDirectoryName(full.TrimEnd('/'))!);
        try
        {
            if (parent.Kind(name) == NodeKind.Missing)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"cp: no such file or directory: {path}");
            }

            TreeTar.RefuseSpecial(parent, name, path);
            return (parent, name);
        }
        catch
        {
            parent.Dispose();
            throw;
        }
    }

    /// <summary>Unpacks a tar at the host path: into it when it is a directory, else in its place; never through a link.</summary>
    public static void Destination(string path, Stream input)
    {
        var (parent, name, kind) = DestinationNode(path);
        using (parent)
        {
            if (kind == NodeKind.Directory)
            {
                using var into = name.Length == 0 ? parent.OpenChild(".", out _)! : parent.OpenChild(name, out _)
                    ?? throw new IOException($"'{path}' changed while it was written");
                new TreeUntar(into, null, null, keepSpecialNodes: true).Extract(input);
            }
            else
            {
                new TreeUntar(parent, name, null, keepSpecialNodes: true).Extract(input);
            }
        }
    }

    /// <summary>Refuses, before any transfer starts, a host destination <see cref="Destination"/> would refuse.</summary>
    public static void CheckDestination(string path) => DestinationNode(path).Parent.Dispose();

    // The destination's directory, opened, its name and what is there now. A missing directory, a
    // symlink (never written through) and a device, FIFO or socket (never replaced: `cp NAME:/tmp
    // /dev/full` replaced the host's /dev/full with a directory) are refused.
    private static (DirFd Parent, string Name, NodeKind Kind) DestinationNode(string path)
    {
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full.TrimEnd('/'));
        string parentPath = Path.GetDirectoryName(full.TrimEnd('/')) ?? "/";
        if (!Directory.Exists(parentPath))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"cp: the directory of '{path}' does not exist");
        }

        var parent = DirFd.OpenTrusted(parentPath);
        try
        {
            NodeKind kind = name.Length == 0 ? NodeKind.Directory : parent.Kind(name);
            if (kind == NodeKind.Symlink)
            {
                throw new SandboxException(ErrorKind.Refused, $"cp: '{path}' is a symlink; cp never writes through links", "name the directory it points to");
            }

            if (kind == NodeKind.Other)
            {
                throw new SandboxException(ErrorKind.Refused,
                    $"cp: '{Sandbox.Host.Printable.Escape(path)}' {parent.Info(name).Described}; cp never replaces a device, FIFO or socket",
                    "name a directory to copy into, or a path for a new file or directory");
            }

            return (parent, name, kind);
        }
        catch
        {
            parent.Dispose();
            throw;
        }
    }
}
