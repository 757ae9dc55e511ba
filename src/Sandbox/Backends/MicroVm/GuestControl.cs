using System.Net.Sockets;
using System.Text;
using Sandbox.Backends.MicroVm.Guest;

namespace Sandbox.Backends.MicroVm;

/// <summary>
/// The host's end of the guest's control port once the workload runs: signals sent here reach the
/// workload through guest init (`crun kill` in the guest), never a second channel into the VM.
/// </summary>
public sealed class GuestControl
{
    private Socket? _control;

    internal void Attach(Socket control) => Volatile.Write(ref _control, control);

    /// <summary>False until the guest started the workload, or once the VM is gone.</summary>
    public async Task<bool> SignalAsync(int signal)
    {
        if (Volatile.Read(ref _control) is not { } control)
        {
            return false;
        }

        try
        {
            await control.SendAsync(Encoding.ASCII.GetBytes(ControlMessage.Signal(signal)), SocketFlags.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }
}
