using Sandbox.Runtime;

namespace Sandbox.Images.Store;

/// <summary>
/// NAME[:TAG] as the store keys it: tag "latest" when none is given, and the registry prefixes that
/// docker and podman add on save (docker.io/library/, docker.io/, localhost/) dropped, so `app:1`
/// finds an image saved as docker.io/library/app:1.
/// </summary>
public static class ImageReference
{
    private static readonly string[] DroppedPrefixes = ["docker.io/library/", "docker.io/", "localhost/"];

    public static string Normalize(string reference)
    {
        string name = reference.Trim();
        int at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            name = name[..at];
        }

        foreach (string prefix in DroppedPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length)
            {
                name = name[prefix.Length..];
                break;
            }
        }

        int slash = name.LastIndexOf('/');
        return name.IndexOf(':', slash + 1) >= 0 ? name : name + ":latest";
    }

    /// <summary>Checks a user-given --name: lowercase letters, digits, separators, an optional :TAG.</summary>
    public static string Validate(string reference)
    {
        string normalized = Normalize(reference);
        int colon = normalized.LastIndexOf(':');
        string name = normalized[..colon];
        string tag = normalized[(colon + 1)..];
        bool nameOk = name.Length is > 0 and <= 200 && char.IsAsciiLetterOrDigit(name[0])
            && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-' or '/' or ':')
            && ColonsOnlyInRegistryPort(name);
        bool tagOk = tag.Length is > 0 and <= 128 && tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
        return nameOk && tagOk && !normalized.StartsWith("sha256:", StringComparison.Ordinal)
            ? normalized
            : throw new SandboxException(ErrorKind.InvalidArgument, $"--name: '{reference}' is not a valid image name",
                "use NAME[:TAG]: lowercase letters, digits, '.', '_', '-', '/', and a tag of letters, digits, '.', '_', '-'");
    }

    // A ':' in the name is a registry's port (127.0.0.1:5000/app): only in the first of several
    // components, followed by digits. Anything else ("a:b:c") would make a name no registry has.
    private static bool ColonsOnlyInRegistryPort(string name)
    {
        string[] components = name.Split('/');
        int colon = components[0].IndexOf(':', StringComparison.Ordinal);
        bool registryOk = colon < 0 || components.Length > 1 && colon > 0
            && components[0][(colon + 1)..] is { Length: > 0 and <= 5 } port && port.All(char.IsAsciiDigit);
        return registryOk && components.Skip(1).All(c => !c.Contains(':', StringComparison.Ordinal));
    }

    /// <summary>The tag part ("1" of app:1).</summary>
    public static string Tag(string normalized) => normalized[(normalized.LastIndexOf(':') + 1)..];

    /// <summary>A name from the image itself (RepoTags, a ref.name annotation), or null when it is not a usable NAME:TAG.</summary>
    public static string? TryName(string candidate)
    {
        if (!candidate.Contains(':', StringComparison.Ordinal))
        {
            return null; // an OCI ref name is often a bare tag ("1"), not a name: the image stays addressable by digest
        }

        try
        {
            return Validate(candidate);
        }
        catch (SandboxException)
        {
            return null;
        }
    }
}
