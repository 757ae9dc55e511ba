namespace Sandbox.Host.Probes;

/// <summary>
/// The user-namespace check: whether one could really be created (unshare --user --map-root-user true),
/// and the kernel's limit. <see cref="MaxUserNamespaces"/> is null when the sysctl could not be read.
/// </summary>
public sealed record UserNamespaceResult(bool Ok, string Detail, string? Remedy, long? MaxUserNamespaces);
