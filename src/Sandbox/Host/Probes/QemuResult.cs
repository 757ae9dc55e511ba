namespace Sandbox.Host.Probes;

/// <summary>
/// The QEMU check for the microVM backend: qemu-system-x86_64 on PATH, its version, and whether it offers
/// the microvm machine type. <see cref="Ok"/> needs all three.
/// </summary>
public sealed record QemuResult(bool Ok, string Detail, string? Remedy, string? Path, string? Version, bool Microvm);
