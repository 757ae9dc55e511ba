using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
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
    private readonly ConcurrentDictionary<int, (TaskCompletionSource Read, TaskCompletionSource<ExecOutput> Done)> _execs = new();
    private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _control;
    private int _nextExec;
    private volatile bool _closed;

    /// <summary>The guest started the workload: execs may go through <paramref name="control"/>.</summary>
    internal void Attach(Socket control)
    {
        Volatile.Write(ref _control, control);
        _settled.TrySetResult();
    }

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

    /// <summary>How long the host waits for init to say it read an exec's request before it sends anything else again.</summary>
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="processJson"/> (one line of ASCII JSON) with `crun exec` in the guest; the
    /// output as init reported it. Nothing else is sent until init said it read the request and input.
    /// An exec that comes while the guest still boots (`run -d` returns once the sandbox is created)
    /// waits for the workload to start, or for the VM to be gone (its control port closed, or the sandbox
    /// deleted), which the boot timeout bounds.
    /// </summary>
    /// <param name="signals">Each signal read is delivered to the exec's process (init's "execsignal") until it ended.</param>
    public async Task<ExecOutput> ExecAsync(byte[] processJson, byte[] stdin, ChannelReader<int>? signals, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(processJson);
        ArgumentNullException.ThrowIfNull(stdin);
        if (processJson.Any(b => b is (byte)'\n' or >= 0x80))
        {
            throw new ArgumentException("the exec's process.json must be one line of ASCII", nameof(processJson));
        }

        await _settled.Task.WaitAsync(ct).ConfigureAwait(false);
        int id = Interlocked.Increment(ref _nextExec);
        var read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource<ExecOutput>(TaskCreationOptions.RunContinuationsAsynchronously);
        _execs[id] = (read, done);
        try
        {
            byte[] message = [.. Encoding.ASCII.GetBytes(ControlMessage.Exec(id, processJson.Length, stdin.Length)), .. processJson, (byte)'\n', .. stdin];
            if (_closed || Volatile.Read(ref _control) is not { } control)
            {
                throw NotRunning();
            }

            await _send.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                int sent = 0;
                while (sent < message.Length)
                {
                    sent += await control.SendAsync(message.AsMemory(sent), SocketFlags.None, ct).ConfigureAwait(false);
                }

                await Task.WhenAny(read.Task, done.Task, Task.Delay(ReadTimeout, ct)).ConfigureAwait(false);
            }
            finally
            {
                _send.Release();
            }

            using var ended = new CancellationTokenSource();
            Task forwarding = signals is null ? Task.CompletedTask : ForwardAsync(id, signals, ended.Token);
            try
            {
                await using (ct.Register(() => done.TrySetCanceled(ct)))
                {
                    return await done.Task.ConfigureAwait(false);
                }
            }
            finally
            {
                await ended.CancelAsync().ConfigureAwait(false);
                await forwarding.ConfigureAwait(false);
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

    // Until the exec ended; a VM that is gone takes no more signals (its report fails the exec anyway).
    private async Task ForwardAsync(int id, ChannelReader<int> signals, CancellationToken ended)
    {
        try
        {
            await foreach (int signal in signals.ReadAllAsync(ended).ConfigureAwait(false))
            {
                await SendAsync(Encoding.ASCII.GetBytes(ControlMessage.ExecSignal(id, signal)), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Init read exec <paramref name="id"/>'s request: the port is free for the next message.</summary>
    internal void Acknowledge(int id)
    {
        if (_execs.TryGetValue(id, out var exec))
        {
            exec.Read.TrySetResult();
        }
    }

    /// <summary>The guest's report for exec <paramref name="id"/> (an ID this host never sent is ignored).</summary>
    internal void Complete(int id, ExecOutput output)
    {
        if (_execs.TryGetValue(id, out var exec))
        {
            exec.Read.TrySetResult();
            exec.Done.TrySetResult(output);
        }
    }

    /// <summary>The control port closed (the VM is gone): pending execs fail, new ones are refused.</summary>
    internal void Close()
    {
        _closed = true;
        _settled.TrySetResult();
        foreach (var (read, done) in _execs.Values)
        {
            read.TrySetResult();
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
