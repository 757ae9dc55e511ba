namespace Sandbox.Policy;

/// <summary>What a <see cref="TaintCondition"/> requires of the requested volumes an untrusted sandbox wrote.</summary>
public enum TaintTest
{
    /// <summary><c>none</c>: no requested volume is tainted.</summary>
    None,
    /// <summary><c>any</c>: at least one requested volume is tainted, whatever its mode.</summary>
    Any,
    /// <summary><c>rw</c>: at least one tainted volume is requested read-write.</summary>
    ReadWrite,
    /// <summary><c>ro</c>: at least one tainted volume is requested read-only.</summary>
    ReadOnly,
}

/// <summary>
/// <c>taintedVolumes: rw</c> — on the volumes requested with -v whose data an untrusted sandbox has
/// written (<c>writtenByUntrusted</c> in the volume store). The modes read as in <c>-v NAME:/path:ro</c>.
/// </summary>
public sealed record TaintCondition(TaintTest Test) : Condition("taintedVolumes")
{
    public override bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason)
    {
        var tainted = facts.VolumeRequests.Where(v => v.WrittenByUntrusted).ToList();
        bool ok = Test switch
        {
            TaintTest.None => tainted.Count == 0,
            TaintTest.Any => tainted.Count > 0,
            TaintTest.ReadWrite => tainted.Any(v => !v.ReadOnly),
            _ => tainted.Any(v => v.ReadOnly),
        };
        reason = $"volumes written by an untrusted sandbox requested {Shown(tainted.Select(v => v.ToString()))} {(ok ? "satisfies" : "does not satisfy")} {Name(Test)}";
        return ok;
    }

    public static string Name(TaintTest t) => t switch
    {
        TaintTest.None => "none",
        TaintTest.Any => "any",
        TaintTest.ReadWrite => "rw",
        _ => "ro",
    };
}
