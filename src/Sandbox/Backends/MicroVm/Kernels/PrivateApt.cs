using Sandbox.Host;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>
/// An apt configuration private to the state root, one per catalog entry: its own sources.list,
/// package lists, cache and (empty) dpkg status, with the host's apt.conf.d ignored. Signatures
/// are checked against Debian's archive keyring in /usr/share/keyrings, so apt refuses any index
/// or package that does not verify. The host's apt configuration is never read for settings nor
/// changed.
/// </summary>
public sealed class PrivateApt
{
    public const string Keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

    private readonly string _dir;
    private readonly string _config;

    public PrivateApt(string dir, KernelEntry entry, DebianMirror mirror)
    {
        _dir = dir;
        _config = Path.Combine(dir, "apt.conf");
        if (!File.Exists(Keyring))
        {
            throw new SandboxException(ErrorKind.HostUnsupported, $"Debian's archive keyring {Keyring} is missing",
                "apt-get install debian-archive-keyring");
        }

        foreach (string sub in new[] { "etc/apt.conf.d", "etc/preferences.d", "etc/sources.list.d", "etc/trusted.gpg.d", "lists/partial", "cache/archives/partial", "state" })
        {
            Directory.CreateDirectory(Path.Combine(dir, sub));
        }

        File.WriteAllText(Path.Combine(dir, "state", "status"), "");
        File.WriteAllLines(Path.Combine(dir, "etc", "sources.list"),
            entry.Sources.Select(s => $"deb [signed-by={Keyring}] {mirror.UriFor(s.Archive)} {s.Suite} main"));
        File.WriteAllText(_config, Config(dir));
    }

    public Task<CommandOutput> UpdateAsync(CancellationToken ct) => Apt("apt-get", ["-q", "update"], _dir, ct);

    /// <summary>`apt-cache depends`: the real image package a metapackage points at.</summary>
    public Task<CommandOutput> DependsAsync(string package, CancellationToken ct) =>
        Apt("apt-cache", ["depends", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", package], _dir, ct);

    /// <summary>`apt-cache show`: the signed index record (Version, SHA256, Filename).</summary>
    public Task<CommandOutput> ShowAsync(string package, CancellationToken ct) =>
        Apt("apt-cache", ["show", "--no-all-versions", package], _dir, ct);

    /// <summary>`apt-get download` into <paramref name="into"/>; apt checks the file against the signed index.</summary>
    public Task<CommandOutput> DownloadAsync(string package, string into, CancellationToken ct) =>
        Apt("apt-get", ["-q", "download", package], into, ct);

    // Kernel packages are tens of MB from a mirror: generous, but never unbounded.
    private static readonly TimeSpan AptTimeout = TimeSpan.FromMinutes(15);

    private async Task<CommandOutput> Apt(string tool, string[] args, string cwd, CancellationToken ct)
    {
        string path = ExecutableLocator.Find(tool) ?? throw new SandboxException(ErrorKind.HostUnsupported,
            $"'{tool}' is not installed; fetching guest kernels uses apt", "run this on a Debian host with apt");
        var env = new Dictionary<string, string> { ["APT_CONFIG"] = _config, ["LC_ALL"] = "C" };
        return await ExternalCommand.RunAsync(path, args, AptTimeout, ct, env, cwd).ConfigureAwait(false);
    }

    private static string Config(string d) => $"""
        Dir::Etc "{d}/etc";
        Dir::Etc::Parts "{d}/etc/apt.conf.d";
        Dir::Etc::Main "{d}/etc/apt.conf";
        Dir::Etc::SourceList "{d}/etc/sources.list";
        Dir::Etc::SourceParts "{d}/etc/sources.list.d";
        Dir::Etc::Preferences "{d}/etc/preferences";
        Dir::Etc::PreferencesParts "{d}/etc/preferences.d";
        Dir::Etc::Trusted "{Keyring}";
        Dir::Etc::TrustedParts "{d}/etc/trusted.gpg.d";
        Dir::State "{d}/state";
        Dir::State::Lists "{d}/lists";
        Dir::State::status "{d}/state/status";
        Dir::Cache "{d}/cache";
        Dir::Log "{d}/state";
        APT::Architecture "amd64";
        APT::Architectures:: "amd64";
        Acquire::Languages "none";
        APT::Sandbox::User "root";

        """;
}
