namespace Sandbox.Runtime;

/// <summary>
/// Where a workload's streams go. Stdin is null when none was given: the workload then reads EOF,
/// never the launcher's terminal.
/// </summary>
public sealed record WorkloadIo(Stream? Stdin, Stream Stdout, Stream Stderr, bool ForwardSignals)
{
    /// <summary>The launcher's own streams; stdin only when it is a pipe or file, not a terminal.</summary>
    public static WorkloadIo Console() => new(
        System.Console.IsInputRedirected ? System.Console.OpenStandardInput() : null,
        System.Console.OpenStandardOutput(),
        System.Console.OpenStandardError(),
        ForwardSignals: true);

    /// <summary>Discards everything: for internal probes.</summary>
    public static WorkloadIo Null { get; } = new(null, Stream.Null, Stream.Null, ForwardSignals: false);
}
