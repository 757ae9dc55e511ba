using System.Reflection;
using Sandbox.Runtime;

namespace Sandbox.Profiles;

/// <summary>
/// Resolves a --seccomp-profile value: a path to a YAML file, or the name of a profile built into
/// the library (profiles/seccomp/*.yaml, embedded so the single-file CLI needs no data directory).
/// </summary>
public static class ProfileCatalog
{
    private const string ResourcePrefix = "profiles.seccomp.";
    private const string ResourceSuffix = ".yaml";

    private static readonly Assembly Library = typeof(ProfileCatalog).Assembly;

    /// <summary>Built-in profile names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        .. Library.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(ResourceSuffix, StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..^ResourceSuffix.Length])
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>
    /// A value containing '/' or ending in .yaml is a file path (so "./default.yaml" never means the
    /// built-in); anything else must be a built-in name.
    /// </summary>
    public static SeccompProfile Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        if (nameOrPath.Contains('/', StringComparison.Ordinal) || nameOrPath.EndsWith(ResourceSuffix, StringComparison.Ordinal))
        {
            return File.Exists(nameOrPath) ? SeccompProfileLoader.Load(nameOrPath)
                : Directory.Exists(nameOrPath) ? throw new SandboxException(ErrorKind.InvalidProfile, $"'{nameOrPath}' is a directory, not a seccomp profile file", $"give a .yaml file or a built-in name: {string.Join(", ", Names)}")
                : throw new SandboxException(ErrorKind.InvalidProfile, $"seccomp profile file '{nameOrPath}' does not exist", $"give an existing .yaml file or a built-in name: {string.Join(", ", Names)}");
        }

        using Stream? stream = Library.GetManifestResourceStream(ResourcePrefix + nameOrPath + ResourceSuffix);
        if (stream is null)
        {
            throw new SandboxException(ErrorKind.InvalidProfile, $"unknown seccomp profile '{nameOrPath}'", $"built-in profiles: {string.Join(", ", Names)}; or give a path to a .yaml file");
        }

        using var reader = new StreamReader(stream);
        return SeccompProfileLoader.Parse(reader.ReadToEnd(), $"builtin:{nameOrPath}{ResourceSuffix}");
    }
}
