namespace Sandbox.Volumes;

/// <summary>A volume's host directory (held for the run) to appear at Target inside the sandbox.</summary>
public sealed record VolumeBind(string Source, string Target, bool ReadOnly);
