namespace Sandbox.Runtime;

/// <summary>
/// Where a workload's streams go. Stdin is null when none was given: the workload then reads EOF,
/// never the launcher's terminal.
/// </summary>
public sealed record WorkloadIo(Stream? Stdin, Stream Stdout, Stream Stderr, bool ForwardSignals)
{
    /// <summary>
    /// Where the launcher's own notices go (emulation, a timeout, a signal, incomplete output): null
    /// means the workload's stderr, as on a terminal. analyze sends them to the analyst's terminal, so
    /// the sample's captured stderr holds only what the sample wrote.
    /// </summary>
    public Stream? Notices { get; init; }

    internal Stream NoticeSink => Notices ?? Stderr;

    /// <summary>-t: the workload gets a pty of its own in the sandbox, this size; null without -t.</summary>
    public Host.TerminalSize? Terminal { get; init; }

    /// <summary>
    /// The launcher's own streams; stdin only when it is a pipe or file, or with -i or -t (a
    /// terminal's keystrokes then reach the workload). -t needs the launcher to be on a terminal,
    /// and connects it both ways in both backends, as the OCI runtime does with a terminal: unlike
    /// docker, -t alone is -it (the microVM refused -t without -i, which the container ran).
    /// </summary>
    public static WorkloadIo Console(bool interactive = false, bool tty = false)
    {
        if (tty && !Host.HostTerminal.IsTerminal(0))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, "-t: the input is not a terminal",
                "run it from a terminal, or drop -t (with -i, stdin still reaches the workload)");
        }

        return new(
            System.Console.IsInputRedirected ? System.Console.OpenStandardInput() : interactive || tty ? Host.HostTerminal.OpenInput() : null,
            System.Console.OpenStandardOutput(),
            System.Console.OpenStandardError(),
            ForwardSignals: true)
        {
            Terminal = tty ? Host.HostTerminal.Size() : null,
        };
    }

    /// <summary>Discards everything: for internal probes.</summary>
    public static WorkloadIo Null { get; } = new(null, Stream.Null, Stream.Null, ForwardSignals: false);
}
