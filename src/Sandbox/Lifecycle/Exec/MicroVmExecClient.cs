using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Sandbox.Backends;
using Sandbox.Backends.MicroVm.Streams;
using Sandbox.Runtime;

namespace Sandbox.Lifecycle.Exec;

/// <summary>
/// exec in a detached microVM: the request goes to its supervisor's control socket (it owns the VM's
/// control channel; see <see cref="ExecWire"/>), which has guest init run it. Input is read whole
/// first (-i; at most <see cref="ExecWire.MaxStdin"/>) and the output comes back whole.
/// </summary>
public static class MicroVmExecClient
{
    public static async Task<int> RunAsync(string controlSocket, ExecRequest request, string given)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Tty)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"exec -t: sandbox {given} is a microVM, whose exec has no terminal yet", "drop -t (-i still passes stdin)");
        }

        byte[] stdin = request.Interactive ? await ReadAllAsync(Console.OpenStandardInput(), ExecWire.MaxStdin).ConfigureAwait(false) : [];
        var output = await ExecAsync(controlSocket, request, stdin, given, forwardSignals: true).ConfigureAwait(false);
        using (var stdout = Console.OpenStandardOutput())
        {
            await stdout.WriteAsync(output.Stdout).ConfigureAwait(false);
        }

        using (var stderr = Console.OpenStandardError())
        {
            await stderr.WriteAsync(output.Stderr).ConfigureAwait(false);
        }

        return output.ExitCode;
    }

    /// <summary>One exec through the supervisor, its output returned whole (cp uses it to run tar in the sandbox).</summary>
    /// <param name="forwardSignals">
    /// SIGINT, SIGTERM, SIGHUP and SIGQUIT to this process go to the exec'd process instead (as with a
    /// container's exec), whose answer then ends the exec. Either way, if this process dies first the
    /// supervisor kills the exec'd process.
    /// </param>
    public static async Task<ExecOutput> ExecAsync(string controlSocket, ExecRequest request, byte[] stdin, string given, bool forwardSignals = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(stdin);
        byte[] json = ExecWire.From(request).ToUtf8Json();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(controlSocket)).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            throw DetachedSandboxes.NotRunning(given);
        }

        using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"exec {json.Length} {stdin.Length}\n"))).ConfigureAwait(false);
        await stream.WriteAsync(json).ConfigureAwait(false);
        await stream.WriteAsync(stdin).ConfigureAwait(false);
        using var forwarded = forwardSignals ? Forward(stream) : null;
        var reader = new BoundedLineReader(stream, 4096);
        string line = await reader.ReadLineAsync().ConfigureAwait(false) ?? throw DetachedSandboxes.NotRunning(given);
        string[] f = line.Split(' ', 4);
        if (f is ["exit", var code, var o, var e]
            && int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out int exit)
            && long.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out long outBytes) && outBytes <= Backends.MicroVm.Guest.ControlMessage.MaxExecOutput
            && long.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out long errBytes) && errBytes <= Backends.MicroVm.Guest.ControlMessage.MaxExecOutput)
        {
            using MemoryStream stdout = new(), stderr = new();
            if (!await reader.CopyExactlyAsync(outBytes, stdout).ConfigureAwait(false) || !await reader.CopyExactlyAsync(errBytes, stderr).ConfigureAwait(false))
            {
                throw new SandboxException(ErrorKind.EngineFailed, $"sandbox {given}: its supervisor ended the exec's output early", "sandbox logs and sandbox ps -a show what happened");
            }

            return new ExecOutput(exit, stdout.ToArray(), stderr.ToArray());
        }

        if (line.Split(' ', 3) is ["error", var kind, var message] && Enum.TryParse(kind, out ErrorKind k))
        {
            string? hint = await reader.ReadLineAsync().ConfigureAwait(false) is { } next && next.StartsWith("hint ", StringComparison.Ordinal) ? next[5..] : null;
            throw new SandboxException(k, message, hint ?? (k == ErrorKind.StateConflict ? "sandbox ps -a shows its state" : null));
        }

        throw new SandboxException(ErrorKind.EngineFailed, $"sandbox {given}: its supervisor answered the exec with '{Host.Printable.Escape(line)}'");
    }

    // "signal N" on the open request, once it was sent whole; the handlers run one at a time.
    private static SignalForwarding Forward(Stream request)
    {
        var gate = new object();
        return new SignalForwarding([.. Host.ForwardedSignals.All.Select(s => PosixSignalRegistration.Create(s.Signal, ctx =>
        {
            ctx.Cancel = true; // this process waits for the exec's answer
            lock (gate)
            {
                try
                {
                    request.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"signal {s.Number}\n")));
                }
                catch (IOException)
                {
                    // the supervisor is gone: its answer (none) ends this exec
                }
            }
        }))]);
    }

    private sealed class SignalForwarding(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose() => Array.ForEach(registrations, r => r.Dispose());
    }

    private static async Task<byte[]> ReadAllAsync(Stream from, int max)
    {
        using var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            if (all.Length + n > max)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"exec -i: a microVM's exec takes at most {max >> 20} MiB of input", "copy large input in with sandbox cp first");
            }

            all.Write(buffer, 0, n);
        }

        return all.ToArray();
    }
}
