using System.Globalization;

namespace Sandbox.Backends.MicroVm.Qemu;

/// <summary>
/// Under TCG the guest's TSC ticks at the host's TSC rate, but the guest kernel measures that rate
/// against the emulated PIT, and on a busy host the measurement fails ("Unable to calibrate
/// against PIT"), after which Debian's kernels hang at boot. Telling the guest the rate
/// (tsc_early_khz=) removes the measurement. The value is a number the launcher reads from the
/// host, never user data.
/// </summary>
public static class HostTsc
{
    public static long? Khz(string cpuinfoPath = "/proc/cpuinfo") =>
        File.Exists(cpuinfoPath) ? ParseCpuinfo(File.ReadAllText(cpuinfoPath)) : null;

    public static long? ParseCpuinfo(string cpuinfo)
    {
        foreach (string line in cpuinfo.Split('\n'))
        {
            string[] kv = line.Split(':', 2);
            if (kv.Length == 2 && kv[0].Trim() == "cpu MHz"
                && double.TryParse(kv[1].Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double mhz) && mhz > 0)
            {
                return (long)Math.Round(mhz * 1000);
            }
        }

        return null;
    }
}
