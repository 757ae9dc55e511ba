using System.Globalization;
using System.Text;

namespace Sandbox.Backends.MicroVm.Initramfs;

/// <summary>One member of an initramfs archive.</summary>
public abstract record CpioEntry(string Path, uint Permissions)
{
    public sealed record Directory(string Path, uint Permissions = 0x1ED /* 0755 */) : CpioEntry(Path, Permissions);

    public sealed record File(string Path, byte[] Content, uint Permissions = 0x1A4 /* 0644 */) : CpioEntry(Path, Permissions);

    public sealed record Symlink(string Path, string Target) : CpioEntry(Path, 0x1FF /* 0777 */);

    public sealed record CharDevice(string Path, uint Major, uint Minor, uint Permissions = 0x180 /* 0600 */) : CpioEntry(Path, Permissions);
}

/// <summary>
/// Writes the "newc" cpio format the kernel unpacks into its initial rootfs. Deterministic: entries
/// are sorted by path (so parents precede children), inode numbers count up from 1 in that order,
/// and every owner, group and mtime is 0. Same entries, same bytes.
/// </summary>
public static class CpioWriter
{
    private const string Magic = "070701";
    private const uint TypeDirectory = 0x4000; // the S_IF* values of stat(2), in hex (C# has no octal)
    private const uint TypeFile = 0x8000;
    private const uint TypeSymlink = 0xA000;
    private const uint TypeCharDevice = 0x2000;

    public static void Write(Stream output, IEnumerable<CpioEntry> entries)
    {
        uint inode = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            string path = entry.Path.Trim('/');
            if (path.Length == 0 || path.Split('/').Any(p => p is "" or "." or "..") || !seen.Add(path))
            {
                throw new ArgumentException($"cpio: invalid or duplicate path '{entry.Path}'", nameof(entries));
            }

            (uint type, byte[] data, uint major, uint minor) = entry switch
            {
                CpioEntry.Directory => (TypeDirectory, Array.Empty<byte>(), 0u, 0u),
                CpioEntry.File f => (TypeFile, f.Content, 0u, 0u),
                CpioEntry.Symlink s => (TypeSymlink, Encoding.UTF8.GetBytes(s.Target), 0u, 0u),
                CpioEntry.CharDevice c => (TypeCharDevice, Array.Empty<byte>(), c.Major, c.Minor),
                _ => throw new ArgumentException($"cpio: unsupported entry {entry}", nameof(entries)),
            };
            uint nlink = type == TypeDirectory ? 2u : 1u;
            WriteRecord(output, path, ++inode, type | (entry.Permissions & 0xFFF), nlink, data, major, minor);
        }

        WriteRecord(output, "TRAILER!!!", 0, 0, 1, [], 0, 0);
    }

    public static byte[] ToBytes(IEnumerable<CpioEntry> entries)
    {
        using var memory = new MemoryStream();
        Write(memory, entries);
        return memory.ToArray();
    }

    private static void WriteRecord(Stream output, string name, uint inode, uint mode, uint nlink, byte[] data, uint rdevMajor, uint rdevMinor)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var header = new StringBuilder(Magic);
        foreach (uint field in new[] { inode, mode, 0u, 0u, nlink, 0u, (uint)data.Length, 0u, 0u, rdevMajor, rdevMinor, (uint)nameBytes.Length, 0u })
        {
            header.Append(field.ToString("x8", CultureInfo.InvariantCulture));
        }

        byte[] headerBytes = Encoding.ASCII.GetBytes(header.ToString());
        output.Write(headerBytes);
        output.Write(nameBytes);
        Pad(output, headerBytes.Length + nameBytes.Length);
        output.Write(data);
        Pad(output, data.Length);
    }

    private static void Pad(Stream output, int written)
    {
        int padding = (4 - (written % 4)) % 4;
        for (int i = 0; i < padding; i++)
        {
            output.WriteByte(0);
        }
    }
}
