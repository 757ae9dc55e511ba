namespace Sandbox.Images.Formats;

/// <summary>
/// An image whose blobs are all in the store, ready to materialize. <see cref="ManifestDigest"/> is null
/// for sources that have no manifest of their own (plain rootfs): one is written after extraction.
/// </summary>
internal sealed record PreparedImage(
    string Format,
    string? ManifestDigest,
    ImageConfigFile Config,
    string? ConfigDigest,
    IReadOnlyList<Descriptor> Layers,
    IReadOnlyList<string> Names);
