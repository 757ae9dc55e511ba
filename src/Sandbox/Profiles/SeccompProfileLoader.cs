namespace Sandbox.Profiles;

/// <summary>
/// Loads seccomp profiles from YAML. Uses YamlDotNet's representation model (not the reflection
/// deserializer, which is not NativeAOT-safe) and validates strictly: anything unexpected is an
/// InvalidProfile error pointing at source:line:column, because a misread security profile fails open.
/// </summary>
public static class SeccompProfileLoader
{
    /// <summary>Largest accepted profile, in bytes; real profiles are a few KiB.</summary>
    public const int MaxBytes = 1024 * 1024;

    private const string Noun = "profile";

    public static SeccompProfile Load(string path)
    {
        byte[] bytes = YamlDocument.ReadBytes(path, MaxBytes, Noun);
        return Parse(YamlDocument.Decode(bytes, path, Noun), path);
    }

    public static SeccompProfile Parse(string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(sourceName);
        var root = YamlDocument.ParseSingle(yaml, sourceName, MaxBytes, Noun, "start from profiles/seccomp/default.yaml");
        return ProfileParser.Read(new YamlReader(sourceName), root);
    }
}
