using Sandbox.Runtime;

namespace Sandbox.Images.Registry;

/// <summary>
/// HOST[:PORT]/REPOSITORY[:TAG|@DIGEST] for the distribution API. A first component without '.' or ':'
/// (and not localhost) means Docker Hub, as docker reads it. Plain http is allowed only for loopback hosts.
/// </summary>
public sealed record RegistryReference(string Host, string Repository, string Reference)
{
    public bool IsLoopback => HostName is "127.0.0.1" or "localhost" or "[::1]";

    public Uri BaseUri => new($"{(IsLoopback ? "http" : "https")}://{Host}/v2/{Repository}/");

    public bool IsDigest => Reference.StartsWith("sha256:", StringComparison.Ordinal);

    /// <summary>The store name this pull registers (NAME:TAG; nothing for a digest pull).</summary>
    public string? StoreName => IsDigest ? null : Store.ImageReference.Normalize($"{Host}/{Repository}:{Reference}");

    private string HostName => Host.StartsWith('[') ? Host[..(Host.IndexOf(']', StringComparison.Ordinal) + 1)] : Host.Split(':')[0];

    public override string ToString() => $"{Host}/{Repository}{(IsDigest ? "@" : ":")}{Reference}";

    public static RegistryReference Parse(string text)
    {
        string rest = text.Trim();
        string reference = "latest";
        int at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            reference = rest[(at + 1)..];
            rest = rest[..at];
            if (!Store.Digest.IsValid(reference))
            {
                throw Invalid(text, "a digest must be sha256: followed by 64 hex digits");
            }
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            if (colon > rest.LastIndexOf('/'))
            {
                reference = rest[(colon + 1)..];
                rest = rest[..colon];
            }
        }

        string[] parts = rest.Split('/');
        bool hasHost = parts.Length > 1 && (parts[0].Contains('.', StringComparison.Ordinal) || parts[0].Contains(':', StringComparison.Ordinal) || parts[0] == "localhost");
        string host = hasHost ? parts[0] : "registry-1.docker.io";
        string repository = string.Join('/', hasHost ? parts[1..] : parts);
        if (!hasHost && parts.Length == 1)
        {
            repository = "library/" + repository;
        }

        bool valid = repository.Length > 0 && repository.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-' or '/')
            && reference.Length is > 0 and <= 128 && !repository.Contains("..", StringComparison.Ordinal);
        return valid ? new RegistryReference(host, repository, reference)
            : throw Invalid(text, "use HOST[:PORT]/NAME[:TAG] or HOST[:PORT]/NAME@sha256:DIGEST");
    }

    private static SandboxException Invalid(string text, string hint) =>
        new(ErrorKind.InvalidArgument, $"'{text}' is not a valid image reference", hint);
}
