using System.Reflection;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>
/// A kernel config fragment (kernels/config/*.config): `CONFIG_X=value` lines and `# CONFIG_X is not set`
/// lines. The recipe applies it with `make allnoconfig KCONFIG_ALLCONFIG=fragment`; Kconfig silently
/// drops a symbol whose dependencies are off, so <see cref="Unmet"/> compares the fragment with the
/// resulting .config and the build fails naming every symbol that did not come out as asked. Pure.
/// </summary>
public sealed class ConfigFragment
{
    private ConfigFragment(string text, IReadOnlyDictionary<string, string> symbols)
    {
        Text = text;
        Symbols = symbols;
    }

    public string Text { get; }

    /// <summary>Symbol (CONFIG_X) to value: "y", a number, a quoted string, or "n" for "is not set".</summary>
    public IReadOnlyDictionary<string, string> Symbols { get; }

    public static ConfigFragment Parse(string text)
    {
        var symbols = new Dictionary<string, string>(StringComparer.Ordinal);
        int number = 0;
        foreach (string raw in text.Split('\n'))
        {
            number++;
            string line = raw.Trim();
            if (ParseLine(line) is { } pair)
            {
                if (!symbols.TryAdd(pair.Symbol, pair.Value))
                {
                    throw new InvalidDataException($"kernel config fragment: line {number} sets {pair.Symbol} a second time");
                }
            }
            else if (line.Length > 0 && !line.StartsWith('#'))
            {
                throw new InvalidDataException($"kernel config fragment: line {number} is neither CONFIG_X=value nor a comment: {line}");
            }
        }

        return new ConfigFragment(text, symbols);
    }

    /// <summary>The symbols whose value in <paramref name="dotConfig"/> (a full .config) differs, as "CONFIG_X=want (got have)".</summary>
    public IReadOnlyList<string> Unmet(string dotConfig)
    {
        var actual = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in dotConfig.Split('\n'))
        {
            if (ParseLine(raw.Trim()) is { } pair)
            {
                actual[pair.Symbol] = pair.Value;
            }
        }

        return [.. Symbols
            .Where(s => actual.GetValueOrDefault(s.Key, "n") != s.Value)
            .Select(s => $"{s.Key}={s.Value} (got {actual.GetValueOrDefault(s.Key, "n")})")];
    }

    /// <summary>The fragment named <paramref name="name"/> embedded from kernels/config/.</summary>
    public static ConfigFragment BuiltIn(string name)
    {
        string resource = $"kernels.config.{name}";
        using Stream stream = typeof(ConfigFragment).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidDataException($"kernel catalog: config fragment {name} is not in kernels/config/");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    // "CONFIG_X=v" -> (CONFIG_X, v); "# CONFIG_X is not set" -> (CONFIG_X, n); anything else -> null.
    private static (string Symbol, string Value)? ParseLine(string line)
    {
        const string NotSet = " is not set";
        if (line.StartsWith("# CONFIG_", StringComparison.Ordinal) && line.EndsWith(NotSet, StringComparison.Ordinal))
        {
            return (line[2..^NotSet.Length], "n");
        }

        int eq = line.IndexOf('=', StringComparison.Ordinal);
        return line.StartsWith("CONFIG_", StringComparison.Ordinal) && eq > "CONFIG_".Length && line[..eq].All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? (line[..eq], line[(eq + 1)..])
            : null;
    }
}
