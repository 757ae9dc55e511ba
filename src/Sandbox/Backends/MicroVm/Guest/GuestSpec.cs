using System.Globalization;
using System.Text;

namespace Sandbox.Backends.MicroVm.Guest;

/// <summary>A virtio-9p share the guest init mounts at Target in the workload's root (ro: nosuid,nodev,ro).</summary>
public sealed record GuestMount(string Tag, string Target, bool ReadOnly);

/// <summary>
/// The run spec the host sends on the control port: a header line "spec LENGTH STDIN VOLUMES", one
/// line "volume TAG ro|rw TARGET" per volume (the target is the rest of the line and init only ever
/// uses it quoted), and a short script that guest init runs with the initramfs's busybox inside the
/// workload's root. Every user-supplied word (command, arguments, environment, working directory)
/// is single-quoted, so the guest shell never expands or splits it; IDs are numbers.
/// </summary>
public static class GuestSpec
{
    /// <summary>The 0700 root-only directory where init places its tools inside the workload's root.</summary>
    public const string ToolsDir = "/.sandbox";

    /// <summary>Where init places the initramfs's busybox inside the workload's root.</summary>
    public const string Busybox = ToolsDir + "/busybox";

    public static string Script(IReadOnlyList<string> args, IReadOnlyList<string> env, string cwd, uint uid, uint gid)
    {
        var s = new StringBuilder();
        if (cwd == "/tmp" || cwd.StartsWith("/tmp/", StringComparison.Ordinal))
        {
            s.Append(CultureInfo.InvariantCulture, $"{Busybox} mkdir -p -- {Quote(cwd)}\n"); // like the container: /tmp is fresh
        }

        s.Append(CultureInfo.InvariantCulture, $"cd -- {Quote(cwd)} || exit 125\n");
        s.Append(CultureInfo.InvariantCulture, $"exec {Busybox} env -i");
        foreach (string e in env)
        {
            s.Append(' ').Append(Quote(e));
        }

        // no_new_privs for every workload; a non-root -u drops to that UID/GID with no supplementary groups.
        s.Append(CultureInfo.InvariantCulture, $" {Busybox} setpriv --nnp");
        if (uid != 0 || gid != 0)
        {
            s.Append(CultureInfo.InvariantCulture, $" {Busybox} nsenter -S {uid} -G {gid} --");
        }

        foreach (string a in args)
        {
            s.Append(' ').Append(Quote(a));
        }

        return s.Append('\n').ToString();
    }

    /// <summary>The bytes to write on the control port: header, volume lines, then the script.</summary>
    public static byte[] Message(string script, bool stdin, IReadOnlyList<GuestMount>? mounts = null)
    {
        mounts ??= [];
        byte[] body = Encoding.UTF8.GetBytes(script);
        var head = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"spec {body.Length} {(stdin ? 1 : 0)} {mounts.Count}\n"));
        foreach (var m in mounts)
        {
            if (!m.Target.StartsWith('/') || m.Target.Any(char.IsControl) || m.Tag.Any(c => !char.IsAsciiLetterOrDigit(c)))
            {
                throw new ArgumentException($"not a safe guest mount: {m}", nameof(mounts)); // VolumeSpec refuses these earlier
            }

            head.Append(CultureInfo.InvariantCulture, $"volume {m.Tag} {(m.ReadOnly ? "ro" : "rw")} {m.Target}\n");
        }

        return [.. Encoding.UTF8.GetBytes(head.ToString()), .. body];
    }

    /// <summary>POSIX single quoting: nothing inside is special except the quote itself, closed and escaped.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
