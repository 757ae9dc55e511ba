namespace Sandbox.Host.Probes;

/// <summary>
/// Whether the default guest kernel is fetched and intact in the state root: untrusted runs (the
/// default) boot a microVM and fail closed without it, so doctor names it and how to get it.
/// </summary>
public sealed record GuestKernelResult(bool Ok, string Detail, string? Remedy, string Name);
