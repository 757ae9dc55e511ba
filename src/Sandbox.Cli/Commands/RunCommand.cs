using System.CommandLine;
using System.Globalization;
using Sandbox.Policy;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox run [flags] IMAGE [--] [CMD [ARG...]]`.</summary>
internal static class RunCommand
{
    private static readonly Option<string> Trust = new("--trust")
    {
        Description = "How much you trust the workload: untrusted (default; microVM) or trusted (hardened container)",
        DefaultValueFactory = _ => "untrusted",
    };

    private static readonly Option<string> Backend = new("--backend")
    {
        Description = "Ask for an isolation kind: auto (policy decides), container or microvm; policy may refuse",
        DefaultValueFactory = _ => "auto",
    };

    private static readonly Option<string?> Kernel = new("--kernel") { Description = "Guest kernel for the microVM backend" };
    private static readonly Option<string[]> Volume = new("--volume", "-v") { Description = "Mount a named volume: NAME:/path[:ro]" };
    private static readonly Option<string[]> Env = new("--env", "-e") { Description = "Set an environment variable: K=V (or K to pass the launcher's)" };
    private static readonly Option<string?> Workdir = new("--workdir", "-w") { Description = "Working directory inside the sandbox" };
    private static readonly Option<string?> User = new("--user", "-u") { Description = "UID[:GID] inside the sandbox (numeric, below 65536)" };
    private static readonly Option<string?> Memory = new("--memory") { Description = "Memory limit, e.g. 64M (default 512M)" };
    private static readonly Option<string?> Cpus = new("--cpus") { Description = "CPU limit in cores, e.g. 0.5 (default 1)" };
    private static readonly Option<long?> Pids = new("--pids-limit") { Description = "Maximum number of processes (default 256)" };
    private static readonly Option<string?> Timeout = new("--timeout") { Description = "Kill the workload after this long, e.g. 30s" };
    private static readonly Option<string> Network = new("--network") { Description = "Network: none (the only mode; loopback only)", DefaultValueFactory = _ => "none" };
    private static readonly Option<string> Seccomp = new("--seccomp-profile") { Description = "Seccomp profile: a built-in name or a YAML file", DefaultValueFactory = _ => "default" };
    private static readonly Option<string?> Name = new("--name") { Description = "Name for the sandbox (letters, digits, . _ -)" };
    private static readonly Option<bool> Detach = new("--detach", "-d") { Description = "Run in the background" };
    private static readonly Option<bool> Remove = new("--rm") { Description = "Remove the sandbox when it exits (always true for foreground runs)" };
    private static readonly Option<string?> PolicyFile = new("--policy") { Description = "Policy file deciding backend and hardening" };
    private static readonly Option<string?> Runtime = new("--runtime") { Description = "OCI runtime for containers: crun or runc (default: crun where it works on this host, else runc)" };
    private static readonly Argument<string> Image = new("IMAGE") { Description = "Image: busybox, an imported image (NAME[:TAG] or digest), or a root filesystem directory" };
    private static readonly Argument<string[]> Command = new("COMMAND") { Description = "Command and arguments (default: the image's)", Arity = ArgumentArity.ZeroOrMore };

    public static System.CommandLine.Command Build()
    {
        var command = new System.CommandLine.Command("run", "Run a workload in a sandbox");
        Trust.AcceptOnlyFromAmong("trusted", "untrusted");
        Backend.AcceptOnlyFromAmong("auto", "container", "microvm");
        Network.AcceptOnlyFromAmong("none");
        foreach (Option o in new Option[] { Trust, Backend, Kernel, Volume, Env, Workdir, User, Memory, Cpus, Pids, Timeout, Network, Seccomp, Name, Detach, Remove, PolicyFile, Runtime })
        {
            command.Options.Add(o);
        }

        command.Arguments.Add(Image);
        command.Arguments.Add(Command);
        command.SetAction((result, ct) => ErrorReporter.GuardAsync(() => RunAsync(result, ct)));
        return command;
    }

    private static Task<int> RunAsync(ParseResult r, CancellationToken ct)
    {
        RefuseNotYetAvailable(r);
        var (uid, gid) = ParseUser(r.GetValue(User));
        foreach (string e in r.GetValue(Env) ?? [])
        {
            EnvironmentBuilder.Validate(e);
        }

        var request = new RunRequest
        {
            Image = r.GetValue(Image)!,
            Command = r.GetValue(Command) ?? [],
            Trust = r.GetValue(Trust) == "trusted" ? TrustLevel.Trusted : TrustLevel.Untrusted,
            Backend = r.GetValue(Backend) switch { "container" => BackendKind.Container, "microvm" => BackendKind.MicroVm, _ => BackendKind.Auto },
            Env = r.GetValue(Env) ?? [],
            WorkingDir = r.GetValue(Workdir),
            Uid = uid,
            Gid = gid,
            UserSet = r.GetValue(User) is not null,
            MemoryBytes = r.GetValue(Memory) is { } m ? Quantities.ParseSize(m, "--memory") : null,
            Cpus = r.GetValue(Cpus) is { } c ? ParseCpus(c) : null,
            PidsLimit = r.GetValue(Pids) is { } p ? (p is > 0 and <= 1_000_000 ? p : throw Invalid("--pids-limit", $"{p}", "use 1 to 1000000")) : null,
            Timeout = r.GetValue(Timeout) is { } t ? Quantities.ParseDuration(t, "--timeout") : null,
            SeccompProfile = r.GetValue(Seccomp)!,
            Runtime = r.GetValue(Runtime),
            Name = ValidateName(r.GetValue(Name)),
        };
        return Composition.Launcher(GlobalOptions.StateRootFrom(r)).RunAsync(request, WorkloadIo.Console(), ct);
    }

    // Contract flags whose features land in later work: refuse loudly rather than ignore them.
    private static void RefuseNotYetAvailable(ParseResult r)
    {
        if (r.GetValue(Volume) is { Length: > 0 })
        {
            throw new SandboxException(ErrorKind.Refused, "refused: -v/--volume: named volumes are not available yet");
        }

        if (r.GetValue(Detach))
        {
            throw new SandboxException(ErrorKind.Refused, "refused: -d/--detach: detached sandboxes are not available yet",
                "run in the foreground");
        }

        if (r.GetValue(PolicyFile) is not null)
        {
            throw new SandboxException(ErrorKind.Refused, "refused: --policy: policy files are not available yet; the built-in policy applies");
        }

        if (r.GetValue(Kernel) is not null)
        {
            throw new SandboxException(ErrorKind.Refused, "refused: --kernel selects a microVM guest kernel, and the microVM backend is not available yet");
        }
    }

    private static (uint Uid, uint Gid) ParseUser(string? text)
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
}
