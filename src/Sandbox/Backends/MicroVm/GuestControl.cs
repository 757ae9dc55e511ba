using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm;

/// <summary>
/// The host's end of the guest's control port once the workload runs: signals and exec requests sent
/// here reach the workload through guest init (`crun kill`, `crun exec` in the guest), never a second
/// channel into the VM. Sends are serialized: an exec's bytes never interleave with a signal line.
/// </summary>
public sealed class GuestControl : IDisposable
{
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<ExecOutput>> _execs = new();
    private Socket? _control;
    private int _nextExec;
    private volatile bool _closed;

    internal void Attach(Socket control) => Volatile.Write(ref _control, control);

    /// <summary>False until the guest started the workload, or once the VM is gone.</summary>
    public async Task<bool> SignalAsync(int signal)
    {
        try
        {
            return await SendAsync(Encoding.ASCII.GetBytes(ControlMessage.Signal(signal)), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Runs <paramref name="processJson"/> with `crun exec` in the guest; the output as init reported it.</summary>
    public async Task<ExecOutput> ExecAsync(byte[] processJson, byte[] stdin, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(processJson);
        ArgumentNullException.ThrowIfNull(stdin);
        int id = Interlocked.Increment(ref _nextExec);
        var done = new TaskCompletionSource<ExecOutput>(TaskCreationOptions.RunContinuationsAsynchronously);
        _execs[id] = done;
        try
        {
            byte[] message = [.. Encoding.ASCII.GetBytes(ControlMessage.Exec(id, processJson.Length, stdin.Length)), .. processJson, .. stdin];
            if (_closed || !await SendAsync(message, ct).ConfigureAwait(false))
            {
                throw NotRunning();
            }

            await using (ct.Register(() => done.TrySetCanceled(ct)))
            {
                return await done.Task.ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw NotRunning();
        }
        finally
        {
            _execs.TryRemove(id, out _);
        }
    }

    /// <summary>The guest's report for exec <paramref name="id"/> (an ID this host never sent is ignored).</summary>
    internal void Complete(int id, ExecOutput output)
    {
        if (_execs.TryGetValue(id, out var done))
        {
            done.TrySetResult(output);
        }
    }

    /// <summary>The control port closed (the VM is gone): pending execs fail, new ones are refused.</summary>
    internal void Close()
    {
        _closed = true;
        foreach (var done in _execs.Values)
        {
            done.TrySetException(NotRunning());
        }
    }

    private async Task<bool> SendAsync(byte[] bytes, CancellationToken ct)
    {
        if (Volatile.Read(ref _control) is not { } control)
        {
            return false;
        }

        await _send.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            int sent = 0;
            while (sent < bytes.Length)
            {
                sent += await control.SendAsync(bytes.AsMemory(sent), SocketFlags.None, ct).ConfigureAwait(false);
            }

            return true;
        }
        finally
        {
            _send.Release();
        }
    }

    public void Dispose() => _send.Dispose();

    private static SandboxException NotRunning() =>
        new(ErrorKind.StateConflict, "the microVM's workload is not running (its guest no longer answers)", "sandbox ps -a shows its state");
}
