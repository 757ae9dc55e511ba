using System.Runtime.InteropServices;

namespace Sandbox.Host;

/// <summary>The signals a launcher passes on to what it runs instead of dying of them (docker's set), with their Linux numbers.</summary>
public static class ForwardedSignals
{
    public static readonly IReadOnlyList<(PosixSignal Signal, int Number)> All =
        [(PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3)];

    /// <summary>The Linux number of one of <see cref="All"/>.</summary>
    public static int Number(PosixSignal signal) => All.Single(s => s.Signal == signal).Number;
}
