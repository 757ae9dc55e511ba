using Sandbox.Host;

namespace Sandbox.Backends.Exec;

/// <summary>
/// Carries a workload's argv and environment bytes through config.json, which is JSON and so holds
/// only Unicode (a runtime would turn bytes that are not UTF-8 into U+FFFD). When any argument or
/// environment entry is not UTF-8, the process becomes the exec shim (exec-shim.c, compiled from
/// this folder by the build and embedded), bind-mounted read-only at <see cref="SandboxPath"/>, with
/// the exact bytes hex-encoded as its arguments; it runs inside the sandbox after all hardening and
/// execve()s the real program. UTF-8 workloads never see it. Pure apart from <see cref="Binary"/>.
/// </summary>
public static class ExecShim
{
    /// <summary>Where the workload sees the shim: in the sandbox's own fresh /dev, never in the image.</summary>
    public const string SandboxPath = "/dev/.sandbox-exec";

    /// <summary>Where the guest's initramfs keeps it (init's root, which the workload never sees).</summary>
    public const string GuestPath = "/usr/libexec/sandbox-exec";

    /// <summary>The mount that puts <paramref name="source"/> at <see cref="SandboxPath"/>: read-only, no setuid, no devices.</summary>
    public static Container.OciMount Mount(string source) => new(SandboxPath, "bind", source, ["bind", "ro", "nosuid", "nodev"]);

    /// <summary>Whether any argument or environment entry is not UTF-8 (see <see cref="ByteString"/>).</summary>
    public static bool Needed(IReadOnlyList<string> args, IReadOnlyList<string> env)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(env);
        return !args.All(ByteString.IsText) || !env.All(ByteString.IsText);
    }

    /// <summary>
    /// The process the runtime starts instead: "SandboxPath NENV HEXENV... HEXARG...", every argument
    /// hex-encoded, and the environment split into its UTF-8 entries (left to the runtime) and the
    /// others (hex, which the shim adds).
    /// </summary>
    public static (IReadOnlyList<string> Args, IReadOnlyList<string> Env) Wrap(IReadOnlyList<string> args, IReadOnlyList<string> env)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(env);
        var bytes = env.Where(e => !ByteString.IsText(e)).ToList();
        IReadOnlyList<string> wrapped =
            [SandboxPath, bytes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), .. bytes.Select(ByteString.Hex), .. args.Select(ByteString.Hex)];
        return (wrapped, [.. env.Where(ByteString.IsText)]);
    }

    /// <summary>The compiled shim (a static executable), embedded by the build.</summary>
    public static byte[] Binary => LazyBinary.Value;

    private static readonly Lazy<byte[]> LazyBinary = EmbeddedBinary.Named("exec-shim");

    /// <summary>Writes the shim as a file the sandbox's root can read and run (0555), for <see cref="Mount"/>.</summary>
    public static string WriteTo(string directory) => EmbeddedBinary.WriteExecutable(directory, "exec-shim", Binary);
}
