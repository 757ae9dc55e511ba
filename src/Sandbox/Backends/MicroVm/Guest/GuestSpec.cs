using System.Globalization;
using System.Text;

namespace Sandbox.Backends.MicroVm.Guest;

/// <summary>
/// The run spec the host sends on the control port: a header line "spec LENGTH STDIN" and a short
/// script that guest init runs with the initramfs's busybox inside the workload's root. Every
/// user-supplied word (command, arguments, environment, working directory) is single-quoted, so
/// the guest shell never expands or splits it; IDs are numbers.
/// </summary>
public static class GuestSpec
{
    /// <summary>Where init places the initramfs's busybox inside the workload's root (a 0700 root-only directory).</summary>
    public const string Busybox = "/.sandbox/busybox";

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

    /// <summary>The bytes to write on the control port: header, then the script.</summary>
    public static byte[] Message(string script, bool stdin)
    {
        byte[] body = Encoding.UTF8.GetBytes(script);
        byte[] header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"spec {body.Length} {(stdin ? 1 : 0)}\n"));
        return [.. header, .. body];
    }

    /// <summary>POSIX single quoting: nothing inside is special except the quote itself, closed and escaped.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
