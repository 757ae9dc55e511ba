using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>The fields of one `apt-cache show` record that the fetcher relies on.</summary>
public sealed record AptRecord(string Version, string Sha256, string Filename)
{
    public static AptRecord Parse(string show, string package)
    {
        string? version = null, sha = null, file = null;
        foreach (string line in show.Split('\n'))
        {
            if (line.Length == 0 && version is not null)
            {
                break; // first record only
            }

            if (line.StartsWith("Version: ", StringComparison.Ordinal))
            {
                version = line[9..].Trim();
            }
            else if (line.StartsWith("SHA256: ", StringComparison.Ordinal))
            {
                sha = line[8..].Trim().ToLowerInvariant();
            }
            else if (line.StartsWith("Filename: ", StringComparison.Ordinal))
            {
                file = line[10..].Trim();
            }
        }

        return version is not null && sha is { Length: 64 } && file is not null
            ? new AptRecord(version, sha, file)
            : throw new SandboxException(ErrorKind.EngineFailed, $"apt-cache show {package} gave no Version/SHA256/Filename");
    }
}
