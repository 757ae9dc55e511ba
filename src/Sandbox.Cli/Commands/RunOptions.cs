using System.CommandLine;
using System.Globalization;
using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.Volumes;

namespace Sandbox.Cli.Commands;

/// <summary>
/// The flags of `sandbox run`, shared with `sandbox policy explain` so both always accept the same
/// arguments. One instance per command: each command owns its option objects.
/// </summary>
internal sealed class RunOptions
{
    public Option<string> Trust { get; } = new("--trust")
    {
        Description = "How much you trust the workload: untrusted (default; microVM) or trusted (hardened container)",
        DefaultValueFactory = _ => "untrusted",
    };

    public Option<string> Backend { get; } = new("--backend")
    {
        Description = "Ask for an isolation kind: auto (policy decides), container or microvm; policy may refuse",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>Which kernel a run that names none boots (kernels/catalog.yaml's preferred, else its default; a test keeps them in step).</summary>
    public const string KernelDefault = "default: minimal-6.1 once built, else debian-6.1";

    public Option<string?> Kernel { get; } = new("--kernel") { Description = $"Guest kernel for the microVM backend (sandbox kernel ls); {KernelDefault}" };
    public Option<string[]> Volume { get; } = new("--volume", "-v") { Description = "Mount a named volume (created when missing): NAME:/path[:ro]" };
    public Option<string[]> Env { get; } = new("--env", "-e") { Description = "Set an environment variable: K=V (or K to pass the launcher's)" };
    public Option<string?> Workdir { get; } = new("--workdir", "-w") { Description = "Working directory inside the sandbox" };
    public Option<string?> User { get; } = new("--user", "-u") { Description = "UID[:GID] inside the sandbox (numeric, below 65536)" };
    public Option<string?> Memory { get; } = new("--memory") { Description = "Memory limit, e.g. 64M (default: the policy's ceiling)" };
    public Option<string?> Cpus { get; } = new("--cpus") { Description = "CPU limit in cores, e.g. 0.5 (default: the policy's ceiling)" };
    public Option<long?> Pids { get; } = new("--pids-limit") { Description = "Maximum number of processes (default: the policy's ceiling)" };
    public Option<string?> Timeout { get; } = new("--timeout") { Description = "Kill the workload after this long, e.g. 30s" };
    public Option<string> Network { get; } = new("--network") { Description = "Network: none (the only mode; loopback only)", DefaultValueFactory = _ => "none" };
    public Option<string?> Seccomp { get; } = new("--seccomp-profile") { Description = "Seccomp profile: a built-in name or a YAML file; may only tighten the policy's (default: the policy's)" };
    public Option<string?> Hostname { get; } = new("--hostname") { Description = "Hostname inside the sandbox (default: sandbox)" };
    public Option<bool> Interactive { get; } = new("--interactive", "-i") { Description = "Keep stdin open to the workload even when it is a terminal" };
    public Option<bool> Init { get; } = new("--init") { Description = "Run a minimal init as PID 1 that forwards signals to the workload and reaps zombies" };
    public Option<bool> Tty { get; } = new("--tty", "-t") { Description = "Give the workload a terminal of its own (a new pty in the sandbox, fed by yours as with -i; stdout and stderr merge)" };
    public Option<string?> Name { get; } = new("--name") { Description = "Name for a detached sandbox (-d), unique; the verbs accept it in place of the ID" };
    public Option<bool> Detach { get; } = new("--detach", "-d") { Description = "Run in the background under a supervisor and print the sandbox ID (see ps, logs, stop)" };
    public Option<string?> Restart { get; } = new("--restart") { Description = "With -d: no (default), on-failure[:N] or always; each restart gets a fresh writable layer" };
    public Option<bool> Remove { get; } = new("--rm") { Description = "Remove the sandbox when it exits (a foreground run always is; with -d also its record and log)" };
    public Option<string?> PolicyFile { get; } = new("--policy") { Description = "Policy file deciding backend and hardening (default: the built-in policy)" };
    public Option<string?> Runtime { get; } = new("--runtime") { Description = "OCI runtime for containers: crun or runc (default: crun where it works on this host, else runc)" };
    public Argument<string> Image { get; } = new("IMAGE") { Description = "Image: busybox, an imported image (NAME[:TAG] or digest), or a root filesystem directory" };
    public Argument<string[]> Command { get; } = new("COMMAND") { Description = "Command and arguments (default: the image's)", Arity = ArgumentArity.ZeroOrMore };

    public void AddTo(System.CommandLine.Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Trust.AcceptOnlyFromAmong("trusted", "untrusted");
        Backend.AcceptOnlyFromAmong("auto", "container", "microvm");
        Network.AcceptOnlyFromAmong("none");
        foreach (Option o in new Option[] { Trust, Backend, Kernel, Volume, Env, Workdir, User, Memory, Cpus, Pids, Timeout, Network, Seccomp, Hostname, Interactive, Tty, Init, Name, Detach, Restart, Remove, PolicyFile, Runtime })
        {
            command.Options.Add(o);
        }

        command.Arguments.Add(Image);
        command.Arguments.Add(Command);
    }

    /// <summary>Validates the flags' form and builds the request policy will decide on.</summary>
    public RunRequest ToRequest(ParseResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        RequireText([("IMAGE", r.GetValue(Image)), ("-w/--workdir", r.GetValue(Workdir)), ("-u/--user", r.GetValue(User)), ("--memory", r.GetValue(Memory)),
            ("--cpus", r.GetValue(Cpus)), ("--timeout", r.GetValue(Timeout)), ("--seccomp-profile", r.GetValue(Seccomp)), ("--hostname", r.GetValue(Hostname)),
            ("--policy", r.GetValue(PolicyFile)), ("--runtime", r.GetValue(Runtime)), ("--kernel", r.GetValue(Kernel)), ("--name", r.GetValue(Name)),
            .. (r.GetValue(Volume) ?? []).Select(v => ("-v/--volume", (string?)v))]);
        var (uid, gid) = ParseUser(r.GetValue(User));
        foreach (string e in r.GetValue(Env) ?? [])
        {
            EnvironmentBuilder.Validate(e);
        }

        return new RunRequest
        {
            Image = r.GetValue(Image)!,
            Command = WorkloadCommandLine.Arguments ?? r.GetValue(Command) ?? [],
            Trust = r.GetValue(Trust) == "trusted" ? TrustLevel.Trusted : TrustLevel.Untrusted,
            Backend = r.GetValue(Backend) switch { "container" => BackendKind.Container, "microvm" => BackendKind.MicroVm, _ => BackendKind.Auto },
            Env = r.GetValue(Env) ?? [],
            WorkingDir = r.GetValue(Workdir),
            Uid = uid,
            Gid = gid,
            UserSet = r.GetValue(User) is not null,
            MemoryBytes = r.GetValue(Memory) is { } m ? CheckMemory(m, Quantities.ParseSize(m, "--memory")) : null,
            Cpus = r.GetValue(Cpus) is { } c ? ParseCpus(c) : null,
            PidsLimit = r.GetValue(Pids) is { } p ? (p is > 0 and <= 1_000_000 ? p : throw Invalid("--pids-limit", $"{p}", "use 1 to 1000000")) : null,
            Timeout = r.GetValue(Timeout) is { } t ? Quantities.ParseDuration(t, "--timeout") : null,
            SeccompProfile = r.GetValue(Seccomp),
            Runtime = r.GetValue(Runtime),
            Name = ValidateName(r.GetValue(Name)),
            Volumes = ParseVolumes(r.GetValue(Volume) ?? []),
            Kernel = r.GetValue(Kernel),
            Network = r.GetValue(Network)!,
            PolicyFile = PolicyPath(r.GetValue(PolicyFile)),
            Hostname = ValidateHostname(r.GetValue(Hostname)),
            Interactive = r.GetValue(Interactive),
            Terminal = r.GetValue(Tty),
            Init = r.GetValue(Init),
        };
    }

    // Only the workload's command line and -e values may carry bytes that are not UTF-8 (the
    // exec shim delivers them); the launcher's own options name things it must show and look up.
    private static void RequireText(params (string Flag, string? Value)[] values)
    {
        foreach (var (flag, text) in values)
        {
            if (text is not null && !Host.ByteString.IsText(text))
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"{flag}: '{Host.ByteString.Display(text)}' is not valid UTF-8",
                    "only the workload's command and -e values may hold other bytes; give images, paths and limits in UTF-8");
            }
        }
    }

    // RFC 1123: dot-separated labels of letters, digits and inner hyphens, 63 bytes each, 253 in all.
    private static string? ValidateHostname(string? name) =>
        name is null || (name.Length <= 253 && name.Split('.').All(l => l.Length is > 0 and <= 63 && l[0] != '-' && l[^1] != '-'
            && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
            ? name
            : throw Invalid("--hostname", name, "use letters, digits and inner hyphens, e.g. web-1 (dot-separated labels of at most 63)");

    /// <summary>Below this neither runc's init nor a guest kernel starts: refused up front, not as an engine error.</summary>
    public const long MinimumMemoryBytes = 8L << 20;

    private static long CheckMemory(string text, long bytes) => bytes >= MinimumMemoryBytes
        ? bytes
        : throw new SandboxException(ErrorKind.InvalidArgument, $"--memory: '{text}' is below the minimum of 8M",
            "a sandbox needs at least 8M to start its init; use e.g. --memory 64M");

    /// <summary>A directory given as a policy file is said to be one (the loader reports a missing file).</summary>
    public static string? PolicyPath(string? path, string what = "--policy") => path is not null && Directory.Exists(path)
        ? throw new SandboxException(ErrorKind.InvalidProfile, $"{what}: '{path}' is a directory, not a policy file",
            "give the path of a policy YAML file; profiles/policy.yaml is the built-in one to start from")
        : path;

    internal static (uint Uid, uint Gid) ParseUser(string? text)
    {
        if (text is null)
        {
            return (0, 0);
        }

        string[] parts = text.Split(':');
        if (parts.Length > 2 || !TryId(parts[0], out uint uid) || !(parts.Length == 1 ? TryId(parts[0], out uint gid) : TryId(parts[1], out gid)))
        {
            throw Invalid("-u/--user", text, "use a numeric UID[:GID] below 65536 (names are not looked up in the image)");
        }

        return (uid, gid);

        static bool TryId(string s, out uint id) =>
            uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id < 65536;
    }

    private static double ParseCpus(string text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double cpus) && cpus >= 0.01 && cpus <= Environment.ProcessorCount
            ? cpus
            : throw Invalid("--cpus", text, $"use a number of cores from 0.01 to {Environment.ProcessorCount}");

    private static string? ValidateName(string? name) =>
        name is null || (name.Length is > 0 and <= 63 && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-') && char.IsAsciiLetterOrDigit(name[0]))
            ? name
            : throw Invalid("--name", name, "use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");

    private static SandboxException Invalid(string flag, string value, string hint) =>
        new(ErrorKind.InvalidArgument, $"{flag}: '{value}' is not valid", hint);

    private static VolumeSpec[] ParseVolumes(string[] flags)
    {
        VolumeSpec[] specs = [.. flags.Select(VolumeSpec.Parse)];
        VolumeSpec.CheckDisjoint(specs);
        return specs;
    }
}
