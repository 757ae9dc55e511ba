using System.Text.Json;
using Sandbox.Backends.Container;
using Sandbox.Digests;

namespace Sandbox.Profiles;

/// <summary>Identifies the exact seccomp policy a run used; the audit record carries it.</summary>
public static class ProfileDigest
{
    /// <summary>Lower-case hex SHA-256 of the OCI JSON as serialized into config.json (OciJsonContext).</summary>
    public static string Sha256(OciSeccomp seccomp)
    {
        ArgumentNullException.ThrowIfNull(seccomp);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(seccomp, OciJsonContext.Default.OciSeccomp);
        return Convert.ToHexStringLower(SmallSha256.HashData(json));
    }
}
