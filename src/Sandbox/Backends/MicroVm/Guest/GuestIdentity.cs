using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Sandbox.Backends.MicroVm.Guest;

/// <summary>
/// The line that precedes every run's spec on the control port:
/// "identity HEX SECONDS NANOSECONDS MACHINE-ID". Guest init credits HEX (the host's getrandom bytes)
/// to its entropy pool and reseeds the CRNG, sets the clock, and takes the machine ID (and a hostname
/// from it) before anything of the workload runs: a VM restored from a template otherwise repeats
/// the template's random state, boot_id and clock in every clone (docs/templates.md).
/// </summary>
public static partial class GuestIdentity
{
    /// <summary>512 bits: more than the CRNG's 256-bit key, so the reseed does not depend on what the template held.</summary>
    public const int EntropyBytes = 64;

    /// <summary>The line for these values. Pure.</summary>
    public static string Line(ReadOnlySpan<byte> entropy, DateTimeOffset now, ReadOnlySpan<byte> machineId)
    {
        long ticks = (now - DateTimeOffset.UnixEpoch).Ticks;
        return string.Create(CultureInfo.InvariantCulture,
            $"identity {Convert.ToHexStringLower(entropy)} {ticks / TimeSpan.TicksPerSecond} {ticks % TimeSpan.TicksPerSecond * 100} {Convert.ToHexStringLower(machineId)}\n");
    }

    /// <summary>A fresh line: random bytes straight from the host kernel's getrandom, and the clock now.</summary>
    public static byte[] Fresh()
    {
        Span<byte> random = stackalloc byte[EntropyBytes + 16];
        GetRandom(random);
        string line = Line(random[..EntropyBytes], DateTimeOffset.UtcNow, random[EntropyBytes..]);
        random.Clear();
        return Encoding.ASCII.GetBytes(line);
    }

    private static void GetRandom(Span<byte> into)
    {
        while (!into.IsEmpty)
        {
            nint n = getrandom(ref MemoryMarshal.GetReference(into), (nuint)into.Length, 0);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == 4 /* EINTR */)
                {
                    continue;
                }

                throw new IOException($"getrandom failed: errno {errno}");
            }

            into = into[(int)n..];
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "getrandom", SetLastError = true)]
    private static partial nint getrandom(ref byte buffer, nuint length, uint flags);
}
