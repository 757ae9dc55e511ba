namespace Sandbox.Host.Probes;

/// <summary>The ID-mapped mount check: whether the state root's file system maps owners through a sandbox's user namespace.</summary>
public sealed record IdmapResult(bool Ok, string Detail, string? Remedy);
