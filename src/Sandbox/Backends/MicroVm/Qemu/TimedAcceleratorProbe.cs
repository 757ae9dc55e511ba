using Sandbox.Host.Probes;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Qemu;

/// <summary>
/// KVM only when a timed guest loop (Host.Probes.KvmProbe) shows hardware virtualization; TCG otherwise,
/// including for a nested, software-emulated /dev/kvm. The probe takes up to a second, so its
/// verdict is cached under the state root, keyed by the kernel release and the /dev/kvm node.
/// </summary>
public sealed class TimedAcceleratorProbe(StateRoot root) : IAcceleratorProbe
{
    private const string Device = "/dev/kvm";

    public Accelerator Detect()
    {
        string cache = Path.Combine(root.HostCache, "kvm-verdict");
        string key = Key();
        if (File.Exists(cache) && File.ReadAllText(cache).Split('\n') is [var cachedKey, var verdict, ..] && cachedKey == key)
        {
            return verdict == nameof(Accelerator.Kvm) ? Accelerator.Kvm : Accelerator.Tcg;
        }

        KvmResult result = KvmProbe.RunAsync(CancellationToken.None).GetAwaiter().GetResult();
        Accelerator accel = result.Kind == KvmKind.Hardware ? Accelerator.Kvm : Accelerator.Tcg;
        root.Ensure(root.HostCache);
        string temp = $"{cache}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, $"{key}\n{accel}\n{result.Detail}\n");
        File.Move(temp, cache, overwrite: true);
        return accel;
    }

    private static string Key()
    {
        string kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var kvm = new FileInfo(Device);
        return kvm.Exists ? $"{kernel}:{kvm.LastWriteTimeUtc.Ticks}" : $"{kernel}:absent";
    }
}
