namespace Sandbox.Tests.Support;

/// <summary>What a seccomp document decides for one call.</summary>
public sealed record SeccompVerdict(string Action, uint? Errno)
{
    /// <summary>The syscall runs (SCMP_ACT_LOG runs it too, only logging it).</summary>
    public bool Allows => Action is "SCMP_ACT_ALLOW" or "SCMP_ACT_LOG";

    public override string ToString() => Errno is null ? Action : $"{Action}({Errno})";
}
