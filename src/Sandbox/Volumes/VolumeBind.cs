namespace Sandbox.Volumes;

/// <summary>A volume's host directory (held for the run), or a policy-granted host path, to appear at Target inside the sandbox.</summary>
public sealed record VolumeBind(string Source, string Target, bool ReadOnly)
{
    /// <summary>A host bind mount (`-v /host/path:/x`): attached as is, never ID-mapped; Source is canonical.</summary>
    public bool IsHostPath { get; init; }
}
