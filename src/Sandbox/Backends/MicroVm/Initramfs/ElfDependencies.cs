using System.Buffers.Binary;

namespace Sandbox.Backends.MicroVm.Initramfs;

/// <summary>What a dynamically linked program needs to start: its ELF interpreter and its DT_NEEDED libraries.</summary>
public sealed record ElfLinkage(string? Interpreter, IReadOnlyList<string> Needed);

/// <summary>
/// Reads an x86-64 ELF file's program headers for PT_INTERP and its dynamic section for DT_NEEDED,
/// the same facts ld.so acts on, so the initramfs can carry exactly the libraries the guest's OCI
/// runtime loads without running ldd (which executes the program's loader) on the host.
/// </summary>
public static class ElfDependencies
{
    private const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3;
    private const long DtNull = 0, DtNeeded = 1, DtStrtab = 5;

    public static ElfLinkage Read(ReadOnlySpan<byte> elf, string what)
    {
        Elf64.Check(elf, what, "file");

        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(elf[0x20..]);
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x36..]);
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x38..]);
        if (phentsize < 56 || phoff + (ulong)(phnum * phentsize) > (ulong)elf.Length)
        {
            throw new InvalidDataException($"{what}: malformed ELF program header table");
        }

        var loads = new List<(ulong Vaddr, ulong Offset, ulong Size)>();
        string? interpreter = null;
        (ulong Offset, ulong Size)? dynamic = null;
        for (int i = 0; i < phnum; i++)
        {
            ReadOnlySpan<byte> ph = elf.Slice((int)phoff + (i * phentsize), phentsize);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(ph);
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[0x08..]);
            ulong vaddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[0x10..]);
            ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[0x20..]);
            switch (type)
            {
                case PtLoad:
                    loads.Add((vaddr, offset, filesz));
                    break;
                case PtInterp:
                    interpreter = Elf64.CString(Slice(elf, offset, filesz, what));
                    break;
                case PtDynamic:
                    dynamic = (offset, filesz);
                    break;
            }
        }

        if (dynamic is not { } dyn)
        {
            return new ElfLinkage(interpreter, []); // static
        }

        ReadOnlySpan<byte> entries = Slice(elf, dyn.Offset, dyn.Size, what);
        var neededOffsets = new List<ulong>();
        ulong? strtab = null;
        for (int at = 0; at + 16 <= entries.Length; at += 16)
        {
            long tag = BinaryPrimitives.ReadInt64LittleEndian(entries[at..]);
            ulong value = BinaryPrimitives.ReadUInt64LittleEndian(entries[(at + 8)..]);
            if (tag == DtNull)
            {
                break;
            }

            if (tag == DtNeeded)
            {
                neededOffsets.Add(value);
            }
            else if (tag == DtStrtab)
            {
                strtab = value;
            }
        }

        if (neededOffsets.Count == 0)
        {
            return new ElfLinkage(interpreter, []);
        }

        // DT_STRTAB is a virtual address: find the file offset through the segment that maps it.
        ulong table = strtab is { } va && loads.FirstOrDefault(l => va >= l.Vaddr && va < l.Vaddr + l.Size) is { Size: > 0 } seg
            ? va - seg.Vaddr + seg.Offset
            : throw new InvalidDataException($"{what}: DT_STRTAB is not inside a loaded segment");
        var needed = new List<string>();
        foreach (ulong o in neededOffsets)
        {
            ulong at = table + o;
            needed.Add(Elf64.CString(Slice(elf, at, (ulong)elf.Length - Math.Min((ulong)elf.Length, at), what)));
        }

        return new ElfLinkage(interpreter, needed);
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> elf, ulong offset, ulong size, string what) =>
        offset <= (ulong)elf.Length && size <= (ulong)elf.Length - offset
            ? elf.Slice((int)offset, (int)size)
            : throw new InvalidDataException($"{what}: an ELF segment lies outside the file");
}
