using System.Collections.Immutable;
using Sandbox.Profiles;

namespace Sandbox.Policy;

/// <summary>
/// Applies one matching allow rule to a workload: picks the backend, checks each explicit request
/// against the rule's grants and ceilings (tighten only), then asks the host whether the result can
/// run. Each step adds a reason; the first failing step is the refusal, naming the rule.
/// </summary>
internal sealed class RuleApplication(PolicyRule rule, WorkloadFacts facts, IBackendAvailability host, Func<string, SeccompProfile> profiles, ImmutableArray<string> matched)
{
    private readonly RuleOutcome o = rule.Outcome!;
    private readonly List<string> reasons = [$"{rule.Ref}: {rule.Why}", .. matched];

    public (Decision? Decision, Refusal? Refusal) Apply()
    {
        try
        {
            BackendKind backend = Backend();
            var caps = Within(facts.Capabilities, o.Capabilities, "capabilities", "--cap-add");
            var devices = Within(facts.Devices, o.Devices, "devices", "--device");
            var volumes = Within(facts.Volumes, o.Volumes, "volumes", "-v NAME:/path");
            var binds = Within(facts.Binds, o.Binds, "bind mounts", "-v /host/path:/path");
            if (!o.Networks.Contains(facts.Network))
            {
                throw NotAllowed($"--network {facts.Network} is not allowed by {rule.Ref}", $"the rule allows network: {string.Join(", ", o.Networks)}");
            }

            ResourceLimits limits = Limits();
            string seccomp = Seccomp();
            string? kernel = Kernel(backend);
            var decision = new Decision(backend, seccomp, limits, $"{rule.Ref.Name}: {rule.Why}")
            {
                Rule = rule.Ref,
                Capabilities = caps,
                Devices = devices,
                Network = facts.Network,
                Kernel = kernel,
                Volumes = volumes,
                Binds = binds,
                AllowEmulation = o.AllowEmulation,
                Templates = backend == BackendKind.MicroVm && o.Templates,
                Ceilings = o.Ceilings,
            };
            (Accelerator accel, Refusal? unavailable) = CheckHost(backend, kernel);
            return (decision with { Accelerator = accel, Reasons = [.. reasons] }, unavailable);
        }
        catch (RefusedException e)
        {
            return (null, e.Refusal);
        }
    }

    private BackendKind Backend()
    {
        if (facts.RequestedBackend == BackendKind.Auto)
        {
            reasons.Add($"backend {PolicyNames.Backend(o.Backends[0])}: the rule's choice");
            return o.Backends[0];
        }

        string asked = PolicyNames.Backend(facts.RequestedBackend);
        if (!o.Backends.Contains(facts.RequestedBackend))
        {
            throw NotAllowed(
                $"--backend {asked} was requested, but {rule.Ref} decides {string.Join(" or ", o.Backends.Select(PolicyNames.Backend))}",
                "an explicit backend is checked, not obeyed: drop --backend, or use a policy with a rule that allows it");
        }

        reasons.Add($"backend {asked}: requested with --backend and allowed by the rule");
        return facts.RequestedBackend;
    }

    private ImmutableArray<string> Within(ImmutableArray<string> requested, ImmutableArray<string> allowed, string what, string flag)
    {
        var refused = requested.Where(x => !Glob.AnyMatch(allowed, x)).ToList();
        if (refused.Count > 0)
        {
            throw NotAllowed($"{what} [{string.Join(", ", refused)}] are not allowed by {rule.Ref}",
                allowed.IsEmpty ? $"the rule grants no {what}; remove {flag}" : $"the rule allows {what} matching: {string.Join(", ", allowed)}");
        }

        if (!requested.IsEmpty)
        {
            reasons.Add($"{what} [{string.Join(", ", requested)}] requested and allowed by the rule");
        }

        return requested;
    }

    private ResourceLimits Limits()
    {
        var c = o.Ceilings;
        long memory = Tighten(facts.MemoryBytes, c.MemoryBytes, "--memory", PolicyNames.Size);
        double cpus = Tighten(facts.Cpus, c.Cpus, "--cpus", PolicyNames.Number);
        long pids = Tighten(facts.PidsLimit, c.PidsLimit, "--pids-limit", v => PolicyNames.Number(v));
        TimeSpan timeout = Tighten(facts.Timeout, c.Timeout, "--timeout", PolicyNames.Duration);
        return c with { MemoryBytes = memory, Cpus = cpus, PidsLimit = pids, Timeout = timeout };
    }

    private T Tighten<T>(T? flag, T ceiling, string name, Func<T, string> show)
        where T : struct, IComparable<T>
    {
        if (flag is not { } v)
        {
            return ceiling;
        }

        if (v.CompareTo(ceiling) > 0)
        {
            throw NotAllowed($"{name} {show(v)} exceeds the ceiling {show(ceiling)} set by {rule.Ref}",
                $"a flag may tighten a limit, never loosen it: use {name} {show(ceiling)} or less");
        }

        reasons.Add($"{name} {show(v)} tightens the rule's ceiling {show(ceiling)}");
        return v;
    }

    private string Seccomp()
    {
        if (facts.SeccompProfile is not { } asked || asked == o.SeccompProfile)
        {
            return o.SeccompProfile;
        }

        if (!ProfileStrictness.IsAtLeastAsStrict(profiles(asked), profiles(o.SeccompProfile), out string why))
        {
            throw NotAllowed($"--seccomp-profile {asked} is looser than profile '{o.SeccompProfile}' required by {rule.Ref}: {why}",
                "a flag may tighten the seccomp profile, never loosen it: remove the syscalls the policy's profile does not allow");
        }

        reasons.Add($"--seccomp-profile {asked} is at least as strict as the rule's '{o.SeccompProfile}': {why}");
        return asked;
    }

    private string? Kernel(BackendKind backend)
    {
        string? asked = facts.RequestedKernel;
        if (backend == BackendKind.Container)
        {
            if (asked is not null && host.HostKernel(asked) is { Available: false } a)
            {
                throw NotAllowed($"kernel {asked} was requested, but {rule.Ref} decides a container, which shares the host kernel: {a.Reason}",
                    "drop --kernel (or the image's sandbox.kernel label), or use a rule that decides microvm");
            }

            return null;
        }

        if (asked is not null && asked != o.Kernel && !Glob.AnyMatch(o.Kernels, asked))
        {
            throw NotAllowed($"kernel {asked} is not allowed by {rule.Ref}",
                $"the rule allows kernels: {string.Join(", ", o.Kernels.Prepend(o.Kernel!))}");
        }

        string kernel = asked ?? o.Kernel!;
        reasons.Add(asked is null ? $"kernel {kernel}: the rule's default" : $"kernel {kernel}: requested and allowed by the rule");
        return kernel;
    }

    private (Accelerator, Refusal?) CheckHost(BackendKind backend, string? kernel)
    {
        if (host.Backend(backend) is { Available: false } b)
        {
            return (Accelerator.None, Unavailable($"refused: {b.Reason} ({rule.Ref} decided {PolicyNames.Backend(backend)})",
                "the decision is never weakened to another backend; install what is missing or change the policy"));
        }

        if (backend != BackendKind.MicroVm)
        {
            return (Accelerator.None, null);
        }

        if (host.GuestKernel(kernel!) is { Available: false } k)
        {
            return (Accelerator.None, Unavailable($"refused: the microVM guest kernel {kernel} is not available: {k.Reason}", "sandbox kernel fetch NAME installs a catalog kernel"));
        }

        AcceleratorAvailability accel = host.Accelerator();
        switch (accel.Best)
        {
            case Accelerator.Kvm:
                reasons.Add($"accelerator kvm: {accel.Reason}");
                return (Accelerator.Kvm, null);
            case Accelerator.Emulation when o.AllowEmulation:
                reasons.Add($"accelerator emulation: {accel.Reason}; the rule allows emulation");
                return (Accelerator.Emulation, null);
            case Accelerator.Emulation:
                return (Accelerator.None, Unavailable($"refused: only emulated virtualization is available ({accel.Reason}) and {rule.Ref} does not allow emulation",
                    "give the host /dev/kvm, or use a policy whose rule sets decide.allowEmulation: true"));
            default:
                return (Accelerator.None, Unavailable($"refused: no virtualization is available: {accel.Reason}", "give the host /dev/kvm, or install QEMU for emulation"));
        }
    }

    private Refusal Unavailable(string message, string hint) => new(RefusalKind.Unavailable, message, hint, rule.Ref);

    private RefusedException NotAllowed(string message, string hint) =>
        new(new Refusal(RefusalKind.NotAllowed, $"refused: {message}", hint, rule.Ref));

    private sealed class RefusedException(Refusal refusal) : Exception(refusal.Message)
    {
        public Refusal Refusal { get; } = refusal;
    }
}
