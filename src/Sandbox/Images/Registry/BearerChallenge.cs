namespace Sandbox.Images.Registry;

/// <summary>A `WWW-Authenticate: Bearer realm="...",service="...",scope="..."` challenge (distribution token auth).</summary>
internal sealed record BearerChallenge(Uri Realm, string? Service, string? Scope)
{
    public static BearerChallenge? Parse(string? header)
    {
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string rest = header[7..];
        int i = 0;
        while (i < rest.Length)
        {
            int eq = rest.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }

            string key = rest[i..eq].Trim(' ', ',');
            string value;
            if (eq + 1 < rest.Length && rest[eq + 1] == '"')
            {
                int end = rest.IndexOf('"', eq + 2);
                end = end < 0 ? rest.Length : end;
                value = rest[(eq + 2)..end];
                i = end + 1;
            }
            else
            {
                int end = rest.IndexOf(',', eq);
                end = end < 0 ? rest.Length : end;
                value = rest[(eq + 1)..end];
                i = end;
            }

            values[key] = value;
        }

        return values.TryGetValue("realm", out string? realm) && Uri.TryCreate(realm, UriKind.Absolute, out Uri? uri)
            ? new BearerChallenge(uri, values.GetValueOrDefault("service"), values.GetValueOrDefault("scope"))
            : null;
    }

    public Uri TokenUri(string fallbackScope)
    {
        var query = new List<string>();
        if (Service is not null)
        {
            query.Add("service=" + Uri.EscapeDataString(Service));
        }

        query.Add("scope=" + Uri.EscapeDataString(Scope ?? fallbackScope));
        var builder = new UriBuilder(Realm) { Query = string.Join('&', query) };
        return builder.Uri;
    }
}
