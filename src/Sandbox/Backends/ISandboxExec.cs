namespace Sandbox.Backends;

/// <summary>What an exec'd process left: its exit status and its whole output (a backend that buffers it).</summary>
/// <param name="EngineError">The OCI runtime's own error when it could not start the command (then ExitCode is the runtime's, not the command's).</param>
public sealed record ExecOutput(int ExitCode, byte[] Stdout, byte[] Stderr, string? EngineError = null);

/// <summary>
/// A sandbox that runs one more process inside itself, confined as its workload, on request of the
/// process holding it (a detached microVM's supervisor, which owns the VM's control channel). The
/// input is given whole and the output returned whole. A container is exec'd from outside instead
/// (its runtime's `exec`; Backends/Container/ContainerExec).
/// </summary>
public interface ISandboxExec
{
    /// <param name="signals">Signals for the exec'd process while it runs (its client's SIGINT, or SIGKILL when the client went away); completes with the exec.</param>
    /// <exception cref="Runtime.SandboxException">The sandbox is not running, or the request is malformed.</exception>
    Task<ExecOutput> ExecAsync(ExecRequest request, byte[] stdin, System.Threading.Channels.ChannelReader<int>? signals, CancellationToken ct);
}
