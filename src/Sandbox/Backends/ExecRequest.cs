namespace Sandbox.Backends;

/// <summary>
/// `sandbox exec`: one more process in a running sandbox, as docker exec takes it. It inherits the
/// sandbox's applied hardening; only what runs, its environment additions, directory and user change.
/// </summary>
/// <param name="Env">-e entries (K=V), applied over the workload's own environment.</param>
/// <param name="Cwd">-w; null keeps the workload's working directory.</param>
/// <param name="User">-u UID[:GID]; null keeps the workload's user.</param>
/// <param name="Interactive">-i: the caller's stdin reaches the process; otherwise it reads /dev/null.</param>
/// <param name="Tty">-t: the process gets a pty of its own (stdout and stderr merge).</param>
public sealed record ExecRequest(
    IReadOnlyList<string> Command, IReadOnlyList<string> Env, string? Cwd, (uint Uid, uint Gid)? User, bool Interactive, bool Tty)
{
    /// <summary>The pty's size with <see cref="Tty"/>; null for none.</summary>
    public Host.TerminalSize? TerminalSize { get; init; }
}
