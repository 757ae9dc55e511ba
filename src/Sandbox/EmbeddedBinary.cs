namespace Sandbox;

/// <summary>
/// The small static C programs the build compiles and embeds (Sandbox.csproj's StaticHelper list: the
/// exec shim, sandbox-init, the sinkhole, the identity helper), each read once, by its resource name.
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
}
