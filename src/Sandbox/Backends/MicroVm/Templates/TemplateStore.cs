using System.Globalization;
using System.Security.Cryptography;
using Sandbox.Backends.MicroVm.Initramfs;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Templates;

/// <summary>A usable template: its saved VM state and that state's digest.</summary>
public sealed record VmTemplate(string Digest, string StatePath, string StateSha256)
{
    /// <summary>Unpublishes the template (its manifest): the next run with its key boots and saves a new one.</summary>
    public void Discard() => File.Delete(Path.Combine(Path.GetDirectoryName(StatePath)!, Digest + ".manifest"));
}

/// <summary>
/// Saved VM states under the state root (vm/templates, root-only like the disks: a state holds the
/// guest's memory). Each template is DIGEST.manifest (the key's text, the state file's name, size
/// and SHA-256) and the state file it names. A template is used only if its manifest holds exactly
/// this key and the state still has the recorded size and digest (hashed again whenever the file's
/// identity changed: a truncated or rewritten state is caught); anything else is removed and
/// rebuilt. Files are published by temp file + rename, the manifest last.
/// </summary>
public sealed class TemplateStore
{
    private const string ManifestHeader = "sandbox-vm-template-manifest-1";

    private readonly string _dir;
    private readonly FileFactsCache _facts;

    public TemplateStore(StateRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Ensure(Path.Combine(root.Path, "vm"), traversable: true);
        _dir = root.Ensure(Path.Combine(root.Path, "vm", "templates"));
        _facts = new FileFactsCache(Path.Combine(_dir, "file-facts"));
        foreach (string stale in System.IO.Directory.EnumerateFiles(_dir, ".tmp-*")
            .Where(f => DateTime.UtcNow - File.GetLastWriteTimeUtc(f) > StaleTemp))
        {
            File.Delete(stale); // a capture whose launcher was killed (a live one writes, or gives up within its budget)
        }
    }

    /// <summary>A temp file this old belongs to no live capture (<see cref="TemplateRun.CaptureBudget"/> is far shorter).</summary>
    public static readonly TimeSpan StaleTemp = TimeSpan.FromMinutes(10);

    public string Directory => _dir;

    /// <summary>How many templates the store keeps (each tens of MiB): publishing one removes the least recently used beyond.</summary>
    public const int MaxTemplates = 8;

    /// <summary>The digest of a host file, cached by its identity (the QEMU binary's, for the key).</summary>
    public string Sha256Of(string path)
    {
        string sha = _facts.Facts(path, elf: false).Sha256;
        _facts.Save();
        return sha;
    }

    /// <summary>
    /// The template for <paramref name="key"/> with its state file open (a concurrent capture may
    /// replace and delete the file meanwhile; the open file stays readable), or null with why none
    /// is usable (absent, stale, corrupt: then removed).
    /// </summary>
    public VmTemplate? Find(TemplateKey key, out string why, out FileStream? state)
    {
        state = null;
        VmTemplate? found = Find(key, out why);
        if (found is null)
        {
            return null;
        }

        try
        {
            // Same name, same content: a state file's name carries its digest.
            state = new FileStream(found.StatePath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan);
            return found;
        }
        catch (FileNotFoundException)
        {
            why = "its state file was replaced meanwhile";
            return null;
        }
    }

    private VmTemplate? Find(TemplateKey key, out string why)
    {
        ArgumentNullException.ThrowIfNull(key);
        string manifest = Path.Combine(_dir, key.Digest + ".manifest");
        if (!File.Exists(manifest))
        {
            why = "no template yet";
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText(manifest);
        }
        catch (FileNotFoundException)
        {
            why = "no template yet"; // removed meanwhile
            return null;
        }

        var parsed = ParseManifest(text);
        string? state = parsed is { } p && IsStateName(p.State, key.Digest) ? Path.Combine(_dir, p.State) : null;
        try
        {
            why = parsed is null ? "its manifest is unreadable"
                : parsed.Value.Key != key.Text ? "its manifest holds another key"
                : state is null || !File.Exists(state) ? "its state file is missing"
                : new FileInfo(state).Length != parsed.Value.Size ? "its state file has the wrong size (truncated?)"
                : Sha256Of(state) != parsed.Value.Sha256 ? "its state file does not have the recorded SHA-256 (corrupt)"
                : "";
        }
        catch (IOException)
        {
            if (ReadOrNull(manifest) != text)
            {
                why = "it was replaced meanwhile"; // a capture published another state and deleted this one
                return null;
            }

            why = "its state file is missing";
        }

        if (why.Length == 0)
        {
            try
            {
                File.SetLastWriteTimeUtc(manifest, DateTime.UtcNow); // last use, for the store's bound (Publish)
            }
            catch (FileNotFoundException)
            {
                why = "it was replaced meanwhile";
                return null;
            }

            return new VmTemplate(key.Digest, state!, parsed!.Value.Sha256);
        }

        using (Publishing())
        {
            if (ReadOrNull(manifest) == text)
            {
                Remove(key.Digest); // the template judged; one published meanwhile stays
            }
        }

        return null;
    }

    // Publishing and removing take turns: a manifest always names a state that exists.
    private Host.Files.ExclusiveFileLock Publishing() => Host.Files.ExclusiveFileLock.Take(Path.Combine(_dir, ".publish.lock"));

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>A temp file in the store for a state being saved (published by <see cref="Publish"/>, else deleted by the caller).</summary>
    public string NewTempState() => Path.Combine(_dir, $".tmp-{Guid.NewGuid():N}.state");

    /// <summary>Publishes a saved state: the state file first (fsync'd, named by its digest), then the manifest naming it.</summary>
    public VmTemplate Publish(TemplateKey key, string tempState, string sha256, long size)
    {
        ArgumentNullException.ThrowIfNull(key);
        // Two runs that booted with no template both save one. Published one after the other, the
        // manifest always names the state that is kept; interleaved, each deleted the other's state.
        using var turn = Publishing();
        string name = $"{key.Digest}-{sha256[..16]}.state";
        string state = Path.Combine(_dir, name);
        File.Move(tempState, state, overwrite: true);
        string tempManifest = Path.Combine(_dir, $".tmp-{Guid.NewGuid():N}.manifest");
        using (var f = new FileStream(tempManifest, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            f.Write(System.Text.Encoding.UTF8.GetBytes(FormatManifest(key.Text, name, size, sha256)));
            f.Flush(flushToDisk: true);
        }

        File.Move(tempManifest, Path.Combine(_dir, key.Digest + ".manifest"), overwrite: true);
        foreach (string older in System.IO.Directory.EnumerateFiles(_dir, key.Digest + "-*.state").Where(f => Path.GetFileName(f) != name))
        {
            File.Delete(older); // a restore streaming it keeps its open descriptor
        }

        // Keys change with every kernel, image, initramfs or memory size: only the most recently used stay.
        var manifests = new DirectoryInfo(_dir).EnumerateFiles("*.manifest").OrderByDescending(f => f.LastWriteTimeUtc).ToList();
        foreach (var unused in manifests.Skip(MaxTemplates))
        {
            Remove(Path.GetFileNameWithoutExtension(unused.Name));
        }

        foreach (var orphan in new DirectoryInfo(_dir).EnumerateFiles("*.state")
            .Where(f => !f.Name.StartsWith('.') && !File.Exists(Path.Combine(_dir, f.Name.Split('-')[0] + ".manifest"))
                && DateTime.UtcNow - f.LastWriteTimeUtc > StaleTemp))
        {
            orphan.Delete(); // its manifest was removed (unpublished after a refused restore)
        }

        return new VmTemplate(key.Digest, state, sha256);
    }

    /// <summary>Removes every template saved on the root disk <paramref name="diskKey"/> (its image was removed).</summary>
    public static void RemoveSavedOn(StateRoot root, string diskKey)
    {
        ArgumentNullException.ThrowIfNull(root);
        string dir = Path.Combine(root.Path, "vm", "templates");
        if (!System.IO.Directory.Exists(dir))
        {
            return;
        }

        var store = new TemplateStore(root);
        using var turn = store.Publishing();
        foreach (string manifest in System.IO.Directory.EnumerateFiles(dir, "*.manifest"))
        {
            if (ReadOrNull(manifest) is not { } text)
            {
                continue; // removed meanwhile
            }

            if (ParseManifest(text) is { } parsed && parsed.Key.Split('\n').Contains($"disk {diskKey}", StringComparer.Ordinal))
            {
                store.Remove(Path.GetFileNameWithoutExtension(manifest));
            }
        }
    }

    private void Remove(string digest)
    {
        File.Delete(Path.Combine(_dir, digest + ".manifest"));
        foreach (string state in System.IO.Directory.EnumerateFiles(_dir, digest + "-*.state"))
        {
            File.Delete(state);
        }
    }

    private static bool IsStateName(string name, string digest) =>
        name.StartsWith(digest + "-", StringComparison.Ordinal) && name.EndsWith(".state", StringComparison.Ordinal) && !name.Contains('/', StringComparison.Ordinal);

    /// <summary>The manifest: a header, the state's name, size and SHA-256, then the key's text. Pure.</summary>
    public static string FormatManifest(string keyText, string state, long size, string sha256) =>
        string.Create(CultureInfo.InvariantCulture, $"{ManifestHeader}\nstate {state}\nsize {size}\nsha256 {sha256}\n{keyText}");

    /// <summary>Null unless well formed. Pure.</summary>
    public static (string Key, string State, long Size, string Sha256)? ParseManifest(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] lines = text.Split('\n', 5);
        return lines.Length == 5 && lines[0] == ManifestHeader && lines[1].StartsWith("state ", StringComparison.Ordinal)
            && lines[2].StartsWith("size ", StringComparison.Ordinal) && long.TryParse(lines[2][5..], NumberStyles.None, CultureInfo.InvariantCulture, out long size)
            && lines[3].StartsWith("sha256 ", StringComparison.Ordinal) && lines[3][7..] is { Length: 64 } sha && sha.All(char.IsAsciiHexDigitLower)
            ? (lines[4], lines[1][6..], size, sha)
            : null;
    }

    /// <summary>Copies a saved state from QEMU's migration stream into <paramref name="path"/>, hashing it; fsync'd. Returns (sha256, size).</summary>
    public static async Task<(string Sha256, long Size)> ReceiveAsync(Stream from, string path, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(from);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        await using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            BufferSize = 0,
        });
        var buffer = new byte[1 << 20];
        int n;
        while ((n = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            size += n;
        }

        file.Flush(flushToDisk: true);
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), size);
    }
}
