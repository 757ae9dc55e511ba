using System.Security.Cryptography;
using System.Text.Json;
using Sandbox.Digests;
using Sandbox.Runtime;

namespace Sandbox.Audit;

/// <summary>
/// The optional audit key: a file OUTSIDE the state root whose bytes key an HMAC-SHA256 over every
/// record, so whoever can write the state root but not read the key cannot rebuild a valid chain.
/// Default /etc/sandbox/audit.key (used when it exists); $SANDBOX_AUDIT_KEY or --key names another,
/// which must then exist. The file must be a regular file (not a symlink), readable by its owner only
/// (0400 or 0600), owned by root or the caller, and hold 32 to 1024 bytes.
/// </summary>
public sealed class AuditKey
{
    public const string DefaultPath = "/etc/sandbox/audit.key";
    public const string EnvironmentVariable = "SANDBOX_AUDIT_KEY";
    private const int MinBytes = 32;
    private const int MaxBytes = 1024;

    private readonly byte[] key;

    private AuditKey(string path, byte[] key)
    {
        Path = path;
        this.key = key;
    }

    public string Path { get; }

    /// <summary>--key, else $SANDBOX_AUDIT_KEY, else the default path if it exists; null means an unkeyed log.</summary>
    public static AuditKey? Resolve(StateRoot root, string? flag)
    {
        ArgumentNullException.ThrowIfNull(root);
        string? named = flag ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(named))
        {
            // Anything at the default path is judged (a directory there is refused), never taken for "no key".
            return System.IO.Path.Exists(DefaultPath) || IsLink(DefaultPath) ? Load(DefaultPath, root) : null;
        }

        return Load(named, root);
    }

    public static AuditKey Load(string path, StateRoot root)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(root);
        string full = System.IO.Path.GetFullPath(path);
        if (IsLink(full))
        {
            throw Bad(full, "is a symbolic link", "point at the key file itself");
        }

        // Opened without following a link or blocking on a FIFO, and judged by what was opened.
        var (opened, type, _, errno) = Host.Files.OpenedFile.Open(full, followLinks: false);
        using var handle = opened;
        if (handle is null)
        {
            throw errno == Tmds.Linux.LibC.ENOENT
                ? Bad(full, "does not exist", $"create one: head -c 32 /dev/urandom > {full} && chmod 0400 {full}; or unset {EnvironmentVariable}")
                : Bad(full, $"cannot be opened: {Host.Interop.Errno.Describe(errno)}", "check the path and its permissions");
        }

        if (type != (uint)Tmds.Linux.LibC.S_IFREG)
        {
            throw Bad(full, $"{Host.Files.OpenedFile.Describe(type)}, not a key file", $"give the path of a file of 32 random bytes: head -c 32 /dev/urandom > FILE && chmod 0400 FILE");
        }

        if (full.StartsWith(root.Path + "/", StringComparison.Ordinal))
        {
            throw Bad(full, $"is inside the state root {root.Path}", "keep the key where whoever can write the log cannot read it, e.g. /etc/sandbox/audit.key");
        }

        UnixFileMode mode = File.GetUnixFileMode(full);
        const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & Others) != 0)
        {
            throw Bad(full, $"is readable or writable by others (mode {Convert.ToString((int)mode, 8)})", $"chmod 0400 {full}");
        }

        uint owner = Host.Files.FileOwner.Get(full).Uid;
        uint me = Tmds.Linux.LibC.geteuid();
        if (owner != 0 && owner != me)
        {
            throw Bad(full, $"is owned by uid {owner}, not by root or uid {me}", $"chown root {full}: whoever owns the key can change it");
        }

        using var file = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        byte[] bytes = Host.Files.OpenedFile.ReadUpTo(file, MaxBytes + 1);
        return bytes.Length is < MinBytes or > MaxBytes
            ? throw Bad(full, bytes.Length > MaxBytes ? $"holds more than {MaxBytes} bytes" : $"holds {bytes.Length} bytes, not {MinBytes} to {MaxBytes}", $"head -c 32 /dev/urandom > {full}")
            : new AuditKey(full, bytes);
    }

    /// <summary>HMAC-SHA256 of the record serialized without its MAC and hash.</summary>
    public string Mac(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(record with { Hash = null, Mac = null }, AuditJsonContext.Default.AuditRecord);
        return Convert.ToHexStringLower(SmallSha256.HmacData(key, body));
    }

    /// <summary>Constant-time comparison of a record's MAC with the expected one.</summary>
    public bool Verify(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Mac is null)
        {
            return false;
        }

        byte[] expected = System.Text.Encoding.ASCII.GetBytes(Mac(record));
        byte[] actual = System.Text.Encoding.ASCII.GetBytes(record.Mac);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private static SandboxException Bad(string path, string what, string hint) =>
        new(ErrorKind.InvalidArgument, $"audit key {path} {what}", hint);
}
