using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Sandbox.Host.Probes;

/// <summary>
/// What a Debian package's changelog says about security fixes: its revision (the first entry is
/// the installed one) and every CVE its entries name. Debian's security updates backport fixes
/// without changing the upstream version, and name each CVE they fix in the changelog.
/// </summary>
public sealed partial record DebianChangelog(string Package, string Revision, IReadOnlySet<string> Cves)
{
    /// <summary>Far more than any package's changelog; a larger (or endless) file is not read further.</summary>
    private const int MaxBytes = 8 << 20;

    public static string PathFor(string package) => $"/usr/share/doc/{package}/changelog.Debian.gz";

    /// <summary>The installed package's changelog; null when it is missing or unreadable.</summary>
    public static DebianChangelog? Read(string package)
    {
        try
        {
            using var file = File.OpenRead(PathFor(package));
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            var buffer = new byte[MaxBytes];
            int total = 0, n;
            while (total < buffer.Length && (n = gzip.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += n;
            }

            return Parse(Encoding.UTF8.GetString(buffer, 0, total));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Pure: the first entry's "package (revision)" and the CVE IDs of all entries; null if it has no entry.</summary>
    public static DebianChangelog? Parse(string text)
    {
        Match head = Header().Match(text);
        if (!head.Success)
        {
            return null;
        }

        var cves = CveId().Matches(text).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        return new DebianChangelog(head.Groups[1].Value, head.Groups[2].Value, cves);
    }

    [GeneratedRegex(@"^([a-z0-9][a-z0-9+.-]+) \(([^()\s]+)\)", RegexOptions.Multiline)]
    private static partial Regex Header();

    [GeneratedRegex(@"CVE-\d{4}-\d{4,7}")]
    private static partial Regex CveId();
}
