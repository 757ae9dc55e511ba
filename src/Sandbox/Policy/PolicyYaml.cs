using System.Collections.Immutable;
using System.Globalization;
using Sandbox.Profiles;
using Sandbox.Runtime;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Policy;

/// <summary>Value readers shared by the match and decide parsers; every error points at the node.</summary>
internal static class PolicyYaml
{
    /// <summary>A single value or a list of values, none empty, no duplicates.</summary>
    public static ImmutableArray<string> Strings(YamlReader r, YamlNode node, string what, string hint, bool allowEmpty = false)
    {
        if (node is YamlScalarNode)
        {
            return [r.Text(node, what, hint)];
        }

        YamlSequenceNode list = r.Sequence(node, what);
        if (list.Children.Count == 0 && !allowEmpty)
        {
            throw r.Fail(node, $"{what} is an empty list", hint);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var values = ImmutableArray.CreateBuilder<string>();
        foreach (YamlNode item in list.Children)
        {
            string value = r.Text(item, $"an entry of {what}", hint);
            if (!seen.Add(value))
            {
                throw r.Fail(item, $"'{value}' is listed twice in {what}", "remove the duplicate");
            }

            values.Add(value);
        }

        return values.ToImmutable();
    }

    /// <summary>Each value must be one of <paramref name="allowed"/>.</summary>
    public static ImmutableArray<T> Choices<T>(YamlReader r, YamlNode node, string what, IReadOnlyDictionary<string, T> allowed)
    {
        string hint = $"use one of: {string.Join(", ", allowed.Keys)}";
        var result = ImmutableArray.CreateBuilder<T>();
        var items = node is YamlSequenceNode s ? s.Children : (IList<YamlNode>)[node];
        foreach ((YamlNode item, string text) in items.Zip(Strings(r, node, what, hint)))
        {
            result.Add(allowed.TryGetValue(text, out T? value)
                ? value
                : throw r.Fail(item, $"unknown value '{text}' in {what}{ProfileError.DidYouMean(text, allowed.Keys)}", hint));
        }

        return result.ToImmutable();
    }

    public static bool Bool(YamlReader r, YamlNode node, string what) =>
        r.Text(node, what, "use true or false") switch
        {
            "true" => true,
            "false" => false,
            var t => throw r.Fail(node, $"{what} must be true or false, found '{t}'", "use true or false"),
        };

    public static long Size(YamlReader r, YamlNode node, string what) =>
        Quantity(r, node, what, t => Quantities.ParseSize(t, what), "use a size such as 512M or 2G");

    public static TimeSpan Duration(YamlReader r, YamlNode node, string what)
    {
        const string Hint = "use a duration such as 30m or 2h (at most 7 days)";
        string text = r.Text(node, what, Hint);
        try
        {
            return Quantities.ParseDuration(text, what);
        }
        catch (SandboxException)
        {
            throw r.Fail(node, $"{what} '{text}' is not a duration", Hint);
        }
    }

    public static double Number(YamlReader r, YamlNode node, string what, double min, double max)
    {
        string hint = $"use a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}";
        string text = r.Text(node, what, hint);
        return double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) && v >= min && v <= max
            ? v
            : throw r.Fail(node, $"{what} '{text}' is not a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}", hint);
    }

    private static long Quantity(YamlReader r, YamlNode node, string what, Func<string, long> parse, string hint)
    {
        string text = r.Text(node, what, hint);
        try
        {
            return parse(text);
        }
        catch (SandboxException)
        {
            throw r.Fail(node, $"{what} '{text}' is not a size", hint);
        }
    }

    public static readonly IReadOnlyDictionary<string, TrustLevel> TrustNames =
        new Dictionary<string, TrustLevel> { ["untrusted"] = TrustLevel.Untrusted, ["trusted"] = TrustLevel.Trusted };

    public static readonly IReadOnlyDictionary<string, BackendKind> RequestedBackendNames =
        new Dictionary<string, BackendKind> { ["auto"] = BackendKind.Auto, ["container"] = BackendKind.Container, ["microvm"] = BackendKind.MicroVm };

    public static readonly IReadOnlyDictionary<string, BackendKind> BackendNames =
        new Dictionary<string, BackendKind> { ["container"] = BackendKind.Container, ["microvm"] = BackendKind.MicroVm };

    public static readonly IReadOnlyDictionary<string, string> NetworkNames =
        new Dictionary<string, string> { ["none"] = "none" };
}
