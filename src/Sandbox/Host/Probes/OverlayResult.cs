namespace Sandbox.Host.Probes;

/// <summary>The overlayfs check: whether "overlay" is listed in /proc/filesystems.</summary>
public sealed record OverlayResult(bool Ok, string Detail, string? Remedy);
