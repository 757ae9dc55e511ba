using System.Collections.Immutable;

namespace Sandbox.Policy;

/// <summary>What a <see cref="KernelCondition"/> requires of the requested kernel.</summary>
public enum KernelTest
{
    /// <summary><c>none</c>: no kernel requested.</summary>
    None,
    /// <summary><c>any</c>: some kernel requested.</summary>
    Any,
    /// <summary><c>host-provides</c>: a kernel was requested and the host's own kernel satisfies it.</summary>
    HostProvides,
    /// <summary><c>host-cannot-provide</c>: a kernel was requested and the host's kernel does not satisfy it.</summary>
    HostCannotProvide,
    /// <summary>A list: the requested kernel matches one of the patterns.</summary>
    Named,
}

/// <summary><c>kernel:</c> — on --kernel or the image's sandbox.kernel label.</summary>
public sealed record KernelCondition(KernelTest Test, ImmutableArray<string> Patterns) : Condition("kernel")
{
    public override bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason)
    {
        string? k = facts.RequestedKernel;
        if (k is null)
        {
            reason = "no kernel requested";
            return Test == KernelTest.None;
        }

        switch (Test)
        {
            case KernelTest.HostProvides or KernelTest.HostCannotProvide:
                Availability a = host.HostKernel(k);
                reason = $"kernel {k} requested; the host {(a.Available ? "provides" : "cannot provide")} it ({a.Reason})";
                return a.Available == (Test == KernelTest.HostProvides);
            case KernelTest.Named:
                bool ok = Glob.AnyMatch(Patterns, k);
                reason = $"kernel {k} requested, {(ok ? "matches" : "does not match")} [{List(Patterns)}]";
                return ok;
            default:
                reason = $"kernel {k} requested";
                return Test == KernelTest.Any;
        }
    }
}
