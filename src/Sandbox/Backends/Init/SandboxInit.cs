namespace Sandbox.Backends.Init;

/// <summary>
/// `run --init` (docker's --init): the workload's PID 1 becomes sandbox-init (sandbox-init.c,
/// compiled from this folder by the build and embedded), which forwards signals to the workload and
/// reaps zombies, so `stop`'s SIGTERM ends a shell workload at once (143) instead of a SIGKILL after
/// the grace. It is bound read-only, nosuid, nodev at <see cref="SandboxPath"/> in the sandbox's own
/// fresh /dev (never the image's files) and runs after all hardening. Pure apart from <see cref="Binary"/>.
/// </summary>
public static class SandboxInit
{
    /// <summary>Where the workload sees the init: in the sandbox's own fresh /dev, never in the image.</summary>
    public const string SandboxPath = "/dev/.sandbox-init";

    /// <summary>Where the guest's initramfs keeps it (init's root, which the workload never sees).</summary>
    public const string GuestPath = "/usr/libexec/sandbox-init";

    /// <summary>What the audit's applied hardening names when the init ran as PID 1.</summary>
    public const string Name = "sandbox-init";

    /// <summary>The mount that puts <paramref name="source"/> at <see cref="SandboxPath"/>: read-only, no setuid, no devices.</summary>
    public static Container.OciMount Mount(string source) => new(SandboxPath, "bind", source, ["bind", "ro", "nosuid", "nodev"]);

    /// <summary>The process the runtime starts: the init, then "--" and the workload's own argv.</summary>
    public static IReadOnlyList<string> Wrap(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return [SandboxPath, "--", .. args];
    }

    /// <summary>The compiled init (a static executable), embedded by the build.</summary>
    public static byte[] Binary => LazyBinary.Value;

    private static readonly Lazy<byte[]> LazyBinary = EmbeddedBinary.Named("sandbox-init");

    /// <summary>Writes the init as a file the sandbox's root can read and run (0555), for <see cref="Mount"/>.</summary>
    public static string WriteTo(string directory) => EmbeddedBinary.WriteExecutable(directory, "sandbox-init", Binary);
}
