namespace Sandbox.Host.Probes;

/// <summary>Finds runc and crun on PATH, parses their --version, and assesses known CVEs.</summary>
public static class OciRuntimeProbe
{
    public static readonly IReadOnlyList<string> Runtimes = ["runc", "crun"];

    public static async Task<IReadOnlyList<OciRuntimeResult>> RunAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(Runtimes.Select(name => RunAsync(name, cancellationToken))).ConfigureAwait(false);

    public static async Task<OciRuntimeResult> RunAsync(string name, CancellationToken cancellationToken)
    {
        string? path = ExecutableLocator.Find(name);
        if (path is null)
        {
            return new(name, false, "not found on PATH", $"apt-get install {name}", null, null, false, []);
        }

        CommandOutput output = await ExternalCommand
            .RunAsync(path, ["--version"], ExternalCommand.DefaultTimeout, cancellationToken)
            .ConfigureAwait(false);
        bool debian = DebianPackages.Owns(name, path);
        return Evaluate(name, path, output, debian, debian ? DebianChangelog.Read(name) : null);
    }

    internal static OciRuntimeResult Evaluate(string name, string path, CommandOutput output, bool debianPackage, DebianChangelog? changelog = null)
    {
        if (!output.Succeeded)
        {
            string why = output.Error ?? $"--version exited {output.ExitCode}: {output.FirstLine()}";
            return new(name, false, $"{path}: {why}", $"reinstall {name}: apt-get install --reinstall {name}",
                path, null, debianPackage, CveAssessor.Assess(name, null, debianPackage));
        }

        string? versionText = ParseVersionLine(output.Stdout);
        RuntimeVersion? version = versionText is null ? null : RuntimeVersion.Parse(versionText);
        string shown = versionText ?? "unknown version";
        string origin = debianPackage ? $" (Debian package{(changelog is null ? "" : " " + changelog.Revision)})" : string.Empty;
        return new(name, true, $"{path} {shown}{origin}", null, path, versionText, debianPackage,
            CveAssessor.Assess(name, version, debianPackage, changelog));
    }

    /// <summary>The numeric token after "version" on the first line that has one ("runc version 1.1.5+ds1").</summary>
    internal static string? ParseVersionLine(string stdout)
    {
        foreach (string line in stdout.Split('\n'))
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int at = Array.IndexOf(words, "version");
            if (at >= 0 && at + 1 < words.Length && char.IsAsciiDigit(words[at + 1].TrimStart('v')[0]))
            {
                return words[at + 1];
            }
        }

        return null;
    }
}
