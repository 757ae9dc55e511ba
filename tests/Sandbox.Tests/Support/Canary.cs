using System.Security.Cryptography;

namespace Sandbox.Tests.Support;

/// <summary>
/// A directory outside the state root that hostile images aim at: its files, modes and link targets are
/// fingerprinted before an import and compared after, proving nothing outside the store changed.
/// </summary>
public sealed class Canary : IDisposable
{
    public Canary()
    {
        Dir = Directory.CreateTempSubdirectory("sandbox-canary-").FullName;
        File.WriteAllText(System.IO.Path.Combine(Dir, "victim"), "original\n");
        Directory.CreateDirectory(System.IO.Path.Combine(Dir, "sub"));
        File.WriteAllText(System.IO.Path.Combine(Dir, "sub", "secret"), "secret\n");
        Before = Fingerprint();
    }

    public string Dir { get; }

    public string Before { get; }

    public string Path(string name) => System.IO.Path.Combine(Dir, name);

    public void AssertUnchanged() => Assert.Equal(Before, Fingerprint());

    public string Fingerprint()
    {
        var lines = new List<string>();
        foreach (string entry in Directory.EnumerateFileSystemEntries(Dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(entry);
            string content = info.LinkTarget is not null ? "-> " + info.LinkTarget
                : Directory.Exists(entry) ? "dir"
                : Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(entry)));
            lines.Add($"{entry} {(int)File.GetUnixFileMode(entry)} {content}");
        }

        return string.Join('\n', lines);
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
