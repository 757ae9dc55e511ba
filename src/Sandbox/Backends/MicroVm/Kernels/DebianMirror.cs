using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>
/// The Debian mirror this host already uses, read from its apt sources (one-line .list and deb822
/// .sources files), so no mirror host name is baked into the project. SANDBOX_DEBIAN_MIRROR
/// overrides it (e.g. http://mirror.example/debian).
/// </summary>
public sealed record DebianMirror(string Main, string Security)
{
    public string UriFor(string archive) => archive switch
    {
        "debian" => Main,
        "debian-security" => Security,
        _ => throw new InvalidDataException($"kernel catalog: unknown archive '{archive}' (use debian or debian-security)"),
    };

    public static DebianMirror FromHost(string etcApt = "/etc/apt")
    {
        if (Environment.GetEnvironmentVariable("SANDBOX_DEBIAN_MIRROR") is { Length: > 0 } forced)
        {
            return FromMain(forced.TrimEnd('/'), null);
        }

        var uris = new List<string>();
        string list = Path.Combine(etcApt, "sources.list");
        if (File.Exists(list))
        {
            uris.AddRange(OneLineUris(File.ReadAllLines(list)));
        }

        string parts = Path.Combine(etcApt, "sources.list.d");
        if (Directory.Exists(parts))
        {
            foreach (string file in Directory.EnumerateFiles(parts).Order(StringComparer.Ordinal))
            {
                if (file.EndsWith(".list", StringComparison.Ordinal))
                {
                    uris.AddRange(OneLineUris(File.ReadAllLines(file)));
                }
                else if (file.EndsWith(".sources", StringComparison.Ordinal))
                {
                    uris.AddRange(Deb822Uris(File.ReadAllLines(file)));
                }
            }
        }

        return FromUris(uris) ?? throw new SandboxException(ErrorKind.HostUnsupported,
            $"no Debian mirror (a URI ending in /debian) found in {list} or {parts}",
            "set SANDBOX_DEBIAN_MIRROR=http://YOUR-MIRROR/debian");
    }

    public static DebianMirror? FromUris(IEnumerable<string> uris)
    {
        string[] all = [.. uris.Select(u => u.TrimEnd('/'))];
        string? main = all.FirstOrDefault(u => u.EndsWith("/debian", StringComparison.Ordinal));
        string? security = all.FirstOrDefault(u => u.EndsWith("/debian-security", StringComparison.Ordinal));
        return main is null ? null : FromMain(main, security);
    }

    private static DebianMirror FromMain(string main, string? security) =>
        new(main, security ?? main[..^"/debian".Length] + "/debian-security");

    // deb [options] URI suite components...
    private static IEnumerable<string> OneLineUris(IEnumerable<string> lines)
    {
        foreach (string raw in lines)
        {
            string line = raw.Split('#', 2)[0].Trim();
            if (!line.StartsWith("deb ", StringComparison.Ordinal))
            {
                continue;
            }

            string rest = line[4..].Trim();
            if (rest.StartsWith('['))
            {
                int close = rest.IndexOf(']', StringComparison.Ordinal);
                rest = close < 0 ? "" : rest[(close + 1)..].Trim();
            }

            string uri = rest.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            if (uri.Length > 0)
            {
                yield return uri;
            }
        }
    }

    private static IEnumerable<string> Deb822Uris(IEnumerable<string> lines)
    {
        bool enabled = true;
        var pending = new List<string>();
        foreach (string raw in lines.Append(""))
        {
            string line = raw.Trim();
            if (line.Length == 0)
            {
                if (enabled)
                {
                    foreach (string u in pending)
                    {
                        yield return u;
                    }
                }

                (enabled, pending) = (true, []);
            }
            else if (line.StartsWith("URIs:", StringComparison.OrdinalIgnoreCase))
            {
                pending.AddRange(line[5..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
            else if (line.StartsWith("Enabled:", StringComparison.OrdinalIgnoreCase))
            {
                enabled = !line[8..].Trim().Equals("no", StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
