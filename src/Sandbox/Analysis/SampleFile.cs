using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Sandbox.Host;
using Sandbox.Runtime;

namespace Sandbox.Analysis;

/// <summary>The ELF facts of a sample: class, machine, static or dynamic, and its loader (PT_INTERP).</summary>
public sealed record ElfFacts(string Class, string Machine, string Linking, string? Interpreter);

/// <summary>
/// The file `sandbox analyze` was given, read once on the host: its name, size, digest and what
/// kind of program it is, and its bytes, which are what the guest gets (the path is not read
/// again, so what runs is what was hashed). It is copied, never run, on the host.
/// </summary>
public sealed record SampleFile(string HostPath, string Name, long Size, string Sha256, string Kind, ElfFacts? Elf, string? ScriptInterpreter)
{
    /// <summary>The bytes read, hashed and inspected: written as the guest's copy.</summary>
    public ReadOnlyMemory<byte> Content { get; private init; }

    /// <summary>The largest sample accepted (it is copied into the state root and shared read-only with the guest).</summary>
    public const long MaxSize = 256L << 20;

    /// <summary>The loader or interpreter the sample needs from the image; null for a static ELF.</summary>
    public string? Interpreter => Elf?.Interpreter ?? ScriptInterpreter;

    public static SampleFile Inspect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!Path.Exists(info.FullName)) // a dangling link too; what is there (a directory, a FIFO, ...) the reader names
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"analyze: '{Printable.Escape(path)}': no such file or directory");
        }

        byte[] bytes = SampleReader.Read(info.FullName, path, MaxSize);
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        string name = GuestName(info.Name);
        if (bytes.Length >= 4 && bytes[0] == 0x7f && bytes.AsSpan(1, 3).SequenceEqual("ELF"u8))
        {
            return new SampleFile(info.FullName, name, bytes.Length, sha, "elf", ReadElf(bytes, path), null) { Content = bytes };
        }

        if (bytes.Length >= 2 && bytes[0] == '#' && bytes[1] == '!')
        {
            return new SampleFile(info.FullName, name, bytes.Length, sha, "script", null, Shebang(bytes, path)) { Content = bytes };
        }

        throw new SandboxException(ErrorKind.InvalidArgument,
            $"analyze: '{Printable.Escape(path)}' is neither an ELF program nor a script (#!); archives and other formats are not analyzed yet");
    }

    /// <summary>The name the sample gets in the guest (/sample/NAME): its own when plain, else "sample".</summary>
    public static string GuestName(string name) =>
        name.Length is > 0 and <= 64 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') ? name : "sample";

    private static ElfFacts ReadElf(byte[] b, string path)
    {
        if (b.Length < 64 || b[5] != 1)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"analyze: '{Printable.Escape(path)}' is a truncated or big-endian ELF file");
        }

        bool is64 = b[4] == 2;
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(18));
        string arch = machine switch { 62 => "x86-64", 3 => "i386", 183 => "aarch64", 40 => "arm", 243 => "riscv", _ => $"machine {machine}" };
        if (!is64 || machine != 62)
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"analyze: '{Printable.Escape(path)}' is a {(is64 ? "64" : "32")}-bit {arch} ELF program; the microVM runs x86-64 programs only");
        }

        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(32));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(54)), phnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(56));
        bool dynamic = false;
        string? interp = null;
        for (int i = 0; i < phnum; i++)
        {
            ulong at = phoff + (ulong)(i * phentsize);
            if (phentsize < 56 || at + 56 > (ulong)b.Length)
            {
                break;
            }

            uint type = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)at));
            if (type == 2)
            {
                dynamic = true; // PT_DYNAMIC
            }
            else if (type == 3)
            {
                ulong off = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)at + 8)), size = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)at + 32));
                if (off < (ulong)b.Length && size <= 4096)
                {
                    var span = b.AsSpan((int)off, (int)Math.Min(size, (ulong)b.Length - off));
                    int nul = span.IndexOf((byte)0);
                    interp = Encoding.UTF8.GetString(nul < 0 ? span : span[..nul]);
                }
            }
        }

        string linking = interp is not null ? "dynamic" : dynamic ? "static-pie" : "static";
        return new ElfFacts("ELF64", arch, linking, interp);
    }

    private static string Shebang(byte[] b, string path)
    {
        int end = Array.IndexOf(b, (byte)'\n');
        string line = Encoding.UTF8.GetString(b, 2, (end < 0 ? Math.Min(b.Length, 256) : Math.Min(end, 256)) - 2).Trim();
        string interp = line.Split([' ', '\t'], 2)[0];
        return interp.StartsWith('/') ? interp : throw new SandboxException(ErrorKind.InvalidArgument,
            $"analyze: '{Printable.Escape(path)}' starts with '#!' but names no absolute interpreter");
    }
}
