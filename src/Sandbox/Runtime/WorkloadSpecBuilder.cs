using Sandbox.Backends;
using Sandbox.Backends.Container;
using Sandbox.Host;
using Sandbox.Images;
using Sandbox.Policy;

namespace Sandbox.Runtime;

/// <summary>
/// Applies a decision to a request: the neutral <see cref="WorkloadSpec"/> every backend runs.
/// The workload's command, user, environment and working directory come from the request over the
/// image's defaults, checked against the image before anything is created.
/// </summary>
public static class WorkloadSpecBuilder
{
    /// <summary>The sandbox's hostname unless --hostname names another.</summary>
    public const string DefaultHostname = "sandbox";

    /// <param name="launcherMounts">Mount targets the launcher itself provides (analyze's /sample): the command may live there.</param>
    public static WorkloadSpec Build(RunRequest request, Image image, Decision decision, OciSeccomp seccomp, IReadOnlyList<string>? launcherMounts = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(decision);
        IReadOnlyList<string> args = image.CommandFor(request.Command);
        var (uid, gid) = request.UserSet ? (request.Uid, request.Gid) : image.UserIds();
        string hostname = request.Hostname ?? DefaultHostname;
        var env = EnvironmentBuilder.Build(image.DefaultEnv, uid, hostname, request.Env, request.Terminal);
        string cwd = request.WorkingDir ?? image.DefaultWorkingDir;
        var volumeTargets = request.Volumes.Select(v => v.Target).Concat(launcherMounts ?? []).ToList();
        WorkloadChecks.WorkingDir(image, cwd, volumeTargets, fromImage: request.WorkingDir is null); // first: it guards the runtime (CVE-2024-21626)
        if (ByteString.IsText(args[0]))
        {
            WorkloadChecks.Command(image, args[0], env, volumeTargets); // a name that is not UTF-8 is looked up by the exec shim
        }

        return new WorkloadSpec(request.Id ?? NewId(), image, args, env, cwd, uid, gid, hostname, decision.Limits)
        {
            Seccomp = seccomp,
            SeccompProfile = decision.SeccompProfile,
            Runtime = request.Runtime,
            Init = request.Init,
            TimeoutSource = request.Timeout is null ? "the policy's timeout" : "--timeout",
            DecidedBy = decision.Rule?.ToString() ?? "the policy",
            Kernel = decision.Kernel is null or "default" ? null : decision.Kernel,
            Accelerator = decision.Accelerator,
            AllowEmulation = decision.AllowEmulation,
            Templates = decision.Templates,
        };
    }

    // Guid.NewGuid reads the kernel's CSPRNG directly; RandomNumberGenerator would load OpenSSL (~4 ms per run).
    public static string NewId() => "sb-" + Guid.NewGuid().ToString("N")[..12];
}
