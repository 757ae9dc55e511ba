using System.Globalization;
using Sandbox.Runtime;

namespace Sandbox.Images;

/// <summary>A runnable image: a read-only root filesystem shared by every sandbox, plus its defaults.</summary>
/// <param name="DefaultCommand">The image's Cmd: what runs when the user gives no command (after <see cref="Entrypoint"/>).</param>
public sealed record Image(
    string Reference,
    string RootfsPath,
    IReadOnlyList<string> DefaultCommand,
    IReadOnlyList<string> DefaultEnv,
    string DefaultWorkingDir)
{
    /// <summary>The image's Entrypoint: always prefixed to the command (docker semantics).</summary>
    public IReadOnlyList<string> Entrypoint { get; init; } = [];

    /// <summary>The image's User as written in its config (e.g. "1000", "1000:1000", or a name); null means root.</summary>
    public string? User { get; init; }

    /// <summary>The image's labels: input to the policy engine.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The manifest digest of an imported image; null for built-in and directory images.</summary>
    public string? Digest { get; init; }

    /// <summary>
    /// A host directory given by path (`run ./rootfs`), canonical: what policy judges (pathImage). Such an
    /// image is never run as found: <see cref="PathImage.Import"/> turns it into a store image first.
    /// </summary>
    public string? HostPath { get; init; }

    /// <summary>Store images only: the lock a run holds shared so `image rm` cannot delete the image under it.</summary>
    public string? UseLock { get; init; }

    /// <summary>The argv to run: Entrypoint, then the user's command or else the image's Cmd.</summary>
    public IReadOnlyList<string> CommandFor(IReadOnlyList<string> requested)
    {
        List<string> args = [.. Entrypoint, .. requested.Count > 0 ? requested : DefaultCommand];
        return args.Count > 0 ? args : throw new SandboxException(ErrorKind.InvalidArgument,
            $"image '{Reference}' has no default command (no Entrypoint or Cmd)", "give one: sandbox run IMAGE -- CMD [ARG...]");
    }

    /// <summary>The numeric uid:gid the image's User names; names are refused (they are not looked up in the image).</summary>
    public (uint Uid, uint Gid) UserIds()
    {
        if (User is null)
        {
            return (0, 0);
        }

        string[] parts = User.Split(':');
        if (parts.Length <= 2 && Id(parts[0]) is { } uid && (parts.Length == 1 ? uid : Id(parts[1])) is { } gid)
        {
            return (uid, gid);
        }

        throw new SandboxException(ErrorKind.InvalidArgument,
            $"image '{Reference}' runs as user '{User}', which is not a numeric UID[:GID]",
            "user names are not looked up in the image; pass -u UID[:GID] explicitly");

        static uint? Id(string s) =>
            uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out uint id) && id < 65536 ? id : null;
    }
}
