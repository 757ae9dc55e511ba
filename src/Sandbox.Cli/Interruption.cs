using System.Runtime.InteropServices;

namespace Sandbox.Cli;

/// <summary>
/// SIGINT/SIGTERM as a cancellation for commands that write into the store (import, pull): the
/// signal is caught (the process does not die mid-write), the work stops at its next block and
/// removes what it wrote, and the command exits 128+N like a killed process would.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    public Interruption(CancellationToken outer = default)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, 2));
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, 15));
    }

    public CancellationToken Token => _cancel.Token;

    /// <summary>The signal number that interrupted, 0 if none.</summary>
    public int Signal { get; private set; }

    /// <summary>Says what was interrupted and returns the exit code (128+N).</summary>
    public int Report(string what)
    {
        Console.Error.WriteLine($"sandbox: {what} interrupted by signal {Signal}; nothing was registered and its temporary files are removed");
        return 128 + Signal;
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _cancel.Dispose();
    }

    private void Stop(PosixSignalContext context, int number)
    {
        context.Cancel = true;
        Signal = number;
        _cancel.Cancel();
    }
}
