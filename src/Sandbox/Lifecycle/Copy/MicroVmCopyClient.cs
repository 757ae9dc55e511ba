using System.Text;
using Sandbox.Audit;
using Sandbox.Backends;
using Sandbox.Lifecycle.Exec;
using Sandbox.Runtime;

namespace Sandbox.Lifecycle.Copy;

/// <summary>
/// cp for a detached microVM: a tar runs inside the sandbox through exec (guest init's `crun exec`),
/// so it is the workload's user, under the workload's confinement, that reads or writes there; links
/// in the sandbox are stored as links (tar's default) and can only ever resolve inside the guest. The
/// host's side is <see cref="HostSide"/> as for containers. The image must have a tar; the stream is
/// carried whole, at most 16 MiB each way.
/// </summary>
internal static class MicroVmCopyClient
{
    private static readonly int MaxTar = (int)Backends.MicroVm.Guest.ControlMessage.MaxExecOutput;

    public static async Task<AuditCopy> IntoAsync(string control, string given, string path, CopyEndpoint source, Stream stdin)
    {
        var parts = CopyEndpoint.Components(path);
        string target = "/" + string.Join('/', parts);
        byte[] tar = source.IsStdio ? await ReadAllAsync(stdin).ConfigureAwait(false) : Tar(source.Path, null);
        var into = await TarAsync(control, given, ["tar", "-x", "-f", "-", "-C", target], tar).ConfigureAwait(false);
        if (into.ExitCode != 0 && !source.IsStdio && parts.Count > 0 && NotADirectory(into))
        {
            // Not an existing directory: the node is written in its place, under the path's last name.
            tar = Tar(source.Path, parts[^1]);
            into = await TarAsync(control, given, ["tar", "-x", "-f", "-", "-C", "/" + string.Join('/', parts.Take(parts.Count - 1))], tar).ConfigureAwait(false);
        }

        Check(into, given, path, writing: true);
        return Audited("in", path, tar);
    }

    public static async Task<AuditCopy> OutAsync(string control, string given, string path, CopyEndpoint destination, Stream stdout)
    {
        if (!destination.IsStdio)
        {
            HostSide.CheckDestination(destination.Path); // refused by name before the guest is asked for anything
        }

        var parts = CopyEndpoint.Components(path);
        if (parts.Count == 0)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"cp: {given}:{path}: copy a path below /, not the whole root", $"e.g. {given}:/tmp");
        }

        var output = await TarAsync(control, given, ["tar", "-c", "-f", "-", "-C", "/" + string.Join('/', parts.Take(parts.Count - 1)), parts[^1]], []).ConfigureAwait(false);
        if (Encoding.UTF8.GetString(output.Stderr).Contains(Backends.MicroVm.Guest.ControlMessage.ExecOutputCut, StringComparison.Ordinal))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"cp: {given}:{path} is more than {MaxTar >> 20} MiB as a tar, more than a microVM's cp carries",
                "copy a smaller part, or share it through a volume");
        }

        Check(output, given, path, writing: false);
        TreeTar.RefuseSpecial(FirstEntry(output.Stdout), $"{given}:{path}"); // as a container's cp does, before anything is written

        await Transfer.RunAsync(null, new MemoryStream(output.Stdout),
            destination.IsStdio ? input => input.CopyTo(stdout) : input => HostSide.Destination(destination.Path, input), "out", path).ConfigureAwait(false);
        return Audited("out", path, output.Stdout);
    }

    /// <summary>The tar's first entry; null when there is none or it is damaged (the transfer then names the damage).</summary>
    internal static System.Formats.Tar.TarEntry? FirstEntry(byte[] tar)
    {
        try
        {
            using var reader = new System.Formats.Tar.TarReader(new MemoryStream(tar));
            return reader.GetNextEntry(copyData: false);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException)
        {
            return null;
        }
    }

    private static async Task<ExecOutput> TarAsync(string control, string given, IReadOnlyList<string> command, byte[] input)
    {
        try
        {
            return await MicroVmExecClient.ExecAsync(control, new ExecRequest(command, [], "/", null, Interactive: true, Tty: false), input, given).ConfigureAwait(false);
        }
        catch (SandboxException e) when (e.Kind == ErrorKind.CommandNotFound)
        {
            throw NoTar(given); // crun found no tar to run: say what cp needs, not what exec lacked
        }
    }

    private static SandboxException NoTar(string given) =>
        new(ErrorKind.HostUnsupported, $"cp: sandbox {given} has no tar in its image, which cp in a microVM runs", "use an image with tar (busybox and Debian have one), or share the files through a volume");

    private static bool NotADirectory(ExecOutput o) =>
        Encoding.UTF8.GetString(o.Stderr) is var e && (e.Contains("No such file", StringComparison.OrdinalIgnoreCase) || e.Contains("Not a directory", StringComparison.OrdinalIgnoreCase));

    private static void Check(ExecOutput o, string given, string path, bool writing)
    {
        if (o.ExitCode == 0)
        {
            return;
        }

        string error = Host.Printable.Escape(Encoding.UTF8.GetString(o.Stderr).Trim());
        if (writing && error.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase))
        {
            throw new SandboxException(ErrorKind.Refused, $"cp: {given}:{path} is on a read-only part of the sandbox",
                "the sandbox's root is read-only; copy into /tmp or a volume mounted read-write");
        }

        if (o.ExitCode == 127)
        {
            throw NoTar(given);
        }

        throw NotADirectory(o) && !writing
            ? new SandboxException(ErrorKind.InvalidArgument, $"cp: no such file or directory in sandbox {given}: {path}", $"sandbox exec {given} ls -la shows what is there")
            : new SandboxException(ErrorKind.Refused, $"cp: tar in sandbox {given} failed on {path}: {error}");
    }

    private static byte[] Tar(string hostPath, string? entryName)
    {
        using var tar = new MemoryStream();
        HostSide.Source(hostPath, tar, entryName);
        return tar.Length <= MaxTar ? tar.ToArray()
            : throw new SandboxException(ErrorKind.InvalidArgument, $"cp: '{hostPath}' is more than {MaxTar >> 20} MiB as a tar, more than a microVM's cp carries",
                "copy a smaller part, or share it through a volume (sandbox volume create NAME --size SIZE; run with -v NAME:/path)");
    }

    private static async Task<byte[]> ReadAllAsync(Stream from)
    {
        using var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            all.Write(buffer, 0, n);
            if (all.Length > MaxTar)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"cp -: the tar stream is more than {MaxTar >> 20} MiB, more than a microVM's cp carries");
            }
        }

        return all.ToArray();
    }

    private static AuditCopy Audited(string direction, string path, byte[] tar) =>
        new(direction, path, tar.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(tar)));
}
