namespace Sandbox.Policy;

/// <summary>What policy decided for one workload, with the reason a person can read.</summary>
public sealed record Decision(BackendKind Backend, string SeccompProfile, ResourceLimits Limits, string Reason);
