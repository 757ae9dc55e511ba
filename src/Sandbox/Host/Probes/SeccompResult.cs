namespace Sandbox.Host.Probes;

/// <summary>
/// The seccomp check. <see cref="Mode"/> is this process's own Seccomp field from /proc/self/status
/// (null when the kernel lacks CONFIG_SECCOMP); <see cref="Actions"/> is /proc/sys/kernel/seccomp/actions_avail.
/// </summary>
public sealed record SeccompResult(bool Ok, string Detail, string? Remedy, int? Mode, IReadOnlyList<string> Actions);
