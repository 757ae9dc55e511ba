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

    /// <summary>
    /// The nominal rate in the model name ("... @ 2.30GHz", which Intel's invariant TSC runs at)
    /// when present, else the first "cpu MHz" (a VM's TSC rate; on hosts that scale frequency it
    /// may be off, which skews the guest's clock but not its boot).
    /// </summary>
    public static long? ParseCpuinfo(string cpuinfo)
    {
        foreach (string line in cpuinfo.Split('\n'))
        {
            string[] kv = line.Split(':', 2);
            int at = kv.Length == 2 && kv[0].Trim() == "model name" ? kv[1].LastIndexOf('@') : -1;
            if (at >= 0 && kv[1][(at + 1)..].Trim() is var nominal && nominal.EndsWith("GHz", StringComparison.Ordinal)
                && double.TryParse(nominal[..^3], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double ghz) && ghz > 0)
            {
                return (long)Math.Round(ghz * 1_000_000);
            }
        }

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
