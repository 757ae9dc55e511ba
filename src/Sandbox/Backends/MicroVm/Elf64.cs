using System.Text;

namespace Sandbox.Backends.MicroVm;

/// <summary>What the host's ELF readers (module dependencies, a program's libraries) share: the header check and C strings.</summary>
internal static class Elf64
{
    /// <summary>Refuses anything but a 64-bit little-endian ELF file, naming <paramref name="what"/> as <paramref name="kind"/>.</summary>
    public static void Check(ReadOnlySpan<byte> elf, string what, string kind)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || !elf[1..4].SequenceEqual("ELF"u8) || elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException($"{what} is not a 64-bit little-endian ELF {kind}");
        }
    }

    /// <summary>The NUL-terminated string at the start of <paramref name="bytes"/> (all of it when there is no NUL).</summary>
    public static string CString(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }
}
