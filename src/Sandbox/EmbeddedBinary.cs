namespace Sandbox;

/// <summary>
/// The small static C programs the build compiles and embeds (Sandbox.csproj's StaticHelper list: the
/// exec shim, sandbox-init, the sinkhole, the identity helper), each read once, by its resource name,
/// and written out as a program where a sandbox binds one.
/// </summary>
internal static class EmbeddedBinary
{
    public static Lazy<byte[]> Named(string name) => new(() =>
    {
        using Stream stream = typeof(EmbeddedBinary).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing (the build compiles it with gcc)");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>Writes <paramref name="binary"/> as DIRECTORY/NAME that a sandbox's root can read and run (0555); returns the path.</summary>
    public static string WriteExecutable(string directory, string name, byte[] binary)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, binary);
        File.SetUnixFileMode(path, (UnixFileMode)0x16D /* 0555 */);
        return path;
    }
}
