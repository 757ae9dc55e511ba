using System.Buffers.Binary;
using System.Text;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>
/// Reads a kernel module's dependencies from its ELF `.modinfo` section ("depends=a,b"), the same
/// data depmod turns into modules.dep, so the host needs no kmod tools. Only 64-bit little-endian
/// ELF (x86-64 modules) is accepted.
/// </summary>
public static class ModuleInfo
{
    public static IReadOnlyList<string> Depends(ReadOnlySpan<byte> elf, string what)
    {
        Elf64.Check(elf, what, "kernel module");

        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(elf[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3C..]);
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3E..]);
        if (shentsize < 64 || shstrndx >= shnum || shoff + (ulong)(shnum * shentsize) > (ulong)elf.Length)
        {
            throw new InvalidDataException($"{what}: malformed ELF section table");
        }

        ReadOnlySpan<byte> names = Section(elf, shoff, shentsize, shstrndx, what);
        for (int i = 0; i < shnum; i++)
        {
            ReadOnlySpan<byte> header = elf.Slice((int)shoff + (i * shentsize), 64);
            int nameOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (nameOffset < names.Length && Elf64.CString(names[nameOffset..]) == ".modinfo")
            {
                return ParseModinfo(Section(elf, shoff, shentsize, i, what));
            }
        }

        return [];
    }

    internal static string[] ParseModinfo(ReadOnlySpan<byte> modinfo)
    {
        foreach (string field in Encoding.UTF8.GetString(modinfo).Split('\0'))
        {
            if (field.StartsWith("depends=", StringComparison.Ordinal))
            {
                return field[8..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }
        }

        return [];
    }

    private static ReadOnlySpan<byte> Section(ReadOnlySpan<byte> elf, ulong shoff, int shentsize, int index, string what)
    {
        ReadOnlySpan<byte> header = elf.Slice((int)shoff + (index * shentsize), 64);
        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]);
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]);
        return offset + size <= (ulong)elf.Length
            ? elf.Slice((int)offset, (int)size)
            : throw new InvalidDataException($"{what}: ELF section {index} lies outside the file");
    }
}
