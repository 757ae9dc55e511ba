using Sandbox.Audit;
using Sandbox.Backends.Container;
using Sandbox.Images.Extraction;
using Sandbox.Runtime;

namespace Sandbox.Lifecycle.Copy;

/// <summary>
/// `sandbox cp` for a running container, from the host: the container's root is opened through
/// /proc/PID/root (its own mount namespace: the read-only image, its /tmp, its volumes) and every
/// path below it is walked one component at a time without following links (<see cref="DirFd"/>),
/// so a symlink the workload made can never point a read or a write at a host file. What is written
/// is created as the sandbox's root (its host IDs, no capability: only where it could write); a
/// read-only part is refused before anything is written.
/// </summary>
internal static class ContainerCopy
{
    public static async Task<AuditCopy> IntoAsync(RunningContainer container, string given, string sandboxPath, CopyEndpoint source, Stream stdin)
    {
        var spec = container.Spec();
        // The sandbox's root as the host sees it (docker cp writes as the container's root too).
        var ids = spec.Linux.UidMappings is [var uids, ..] && spec.Linux.GidMappings is [var gids, ..] && uids.ContainerId == 0 && gids.ContainerId == 0
            ? ((uint, uint)?)(uids.HostId, gids.HostId)
            : throw new SandboxException(ErrorKind.StateConflict, $"sandbox {given}: its config.json maps no root", "sandbox inspect shows its state");
        if (!source.IsStdio)
        {
            HostSide.CheckSource(source.Path); // refused by name before a transfer starts
        }

        using var root = DirFd.OpenTrusted($"/proc/{container.Pid}/root");
        var (destination, rename) = Destination(root, given, sandboxPath, mustBeDirectory: source.IsStdio);
        using (destination)
        {
            if (destination.ReadOnly)
            {
                throw new SandboxException(ErrorKind.Refused, $"cp: {given}:{sandboxPath} is on a read-only part of the sandbox",
                    "the sandbox's root is read-only; copy into /tmp or a volume mounted read-write");
            }

            return await Transfer.RunAsync(
                source.IsStdio ? null : output => HostSide.Source(source.Path, output),
                source.IsStdio ? stdin : null,
                input =>
                {
                    // Created as the sandbox's root (its host IDs, without capabilities): owned by it, written only where it could write.
                    using var asWorkload = ids is var (uid, gid) ? Host.Interop.FileSystemIds.Become(uid, gid) : null;
                    new TreeUntar(destination, rename, null).Extract(input);
                },
                "in", sandboxPath).ConfigureAwait(false);
        }
    }

    public static async Task<AuditCopy> OutAsync(RunningContainer container, string given, string sandboxPath, CopyEndpoint destination, Stream stdout)
    {
        if (!destination.IsStdio)
        {
            HostSide.CheckDestination(destination.Path); // refused by name before a transfer starts
        }

        using var root = DirFd.OpenTrusted($"/proc/{container.Pid}/root");
        var parts = CopyEndpoint.Components(sandboxPath);
        if (parts.Count == 0)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"cp: {given}:{sandboxPath}: copy a path below /, not the whole root", $"e.g. {given}:/tmp");
        }

        using var parent = WalkDirectory(root, parts.Take(parts.Count - 1), given, sandboxPath)
            ?? throw Missing(given, sandboxPath);
        string leaf = parts[^1];
        if (parent.Kind(leaf) == NodeKind.Missing)
        {
            throw Missing(given, sandboxPath);
        }

        TreeTar.RefuseSpecial(parent, leaf, $"{given}:{sandboxPath}");
        return await Transfer.RunAsync(output => TreeTar.Write(parent, leaf, output), null,
            destination.IsStdio ? input => input.CopyTo(stdout) : input => HostSide.Destination(destination.Path, input),
            "out", sandboxPath).ConfigureAwait(false);
    }

    /// <summary>Where an incoming node goes: into an existing directory (keeping its name), or in place of the path's leaf.</summary>
    private static (DirFd Directory, string? Rename) Destination(DirFd root, string given, string sandboxPath, bool mustBeDirectory)
    {
        var parts = CopyEndpoint.Components(sandboxPath);
        if (WalkDirectory(root, parts, given, sandboxPath, quiet: true) is { } directory)
        {
            return (directory, null);
        }

        if (mustBeDirectory || parts.Count == 0)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"cp: {given}:{sandboxPath} is not a directory in the sandbox", "a tar stream (-) is unpacked into an existing directory");
        }

        var parent = WalkDirectory(root, parts.Take(parts.Count - 1), given, sandboxPath) ?? throw Missing(given, sandboxPath);
        return (parent, parts[^1]);
    }

    // Null when a component is missing (or, quietly, when the last one is not a directory); a symlink on the way is refused.
    private static DirFd? WalkDirectory(DirFd root, IEnumerable<string> parts, string given, string sandboxPath, bool quiet = false)
    {
        DirFd current = root.OpenChild(".", out _) ?? throw new IOException("the sandbox's root went away");
        var list = parts.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            DirFd? next = current.OpenChild(list[i], out int errno);
            if (next is null && quiet && i == list.Count - 1)
            {
                current.Dispose();
                return null; // the leaf is not a directory: the copy replaces it (a link itself, never its target)
            }

            if (next is null)
            {
                bool symlink = current.Kind(list[i]) == NodeKind.Symlink;
                current.Dispose();
                if (symlink)
                {
                    throw new SandboxException(ErrorKind.Refused,
                        $"cp: {given}:{sandboxPath}: /{string.Join('/', list.Take(i + 1))} is a symlink in the sandbox; cp never follows links",
                        "name the path the link points to, as the sandbox sees it");
                }

                return errno == Tmds.Linux.LibC.ENOENT || quiet ? null : throw Missing(given, sandboxPath);
            }

            current.Dispose();
            current = next;
        }

        return current;
    }

    private static SandboxException Missing(string given, string path) =>
        new(ErrorKind.InvalidArgument, $"cp: no such file or directory in sandbox {given}: {path}", $"sandbox exec {given} ls -la shows what is there");
}
