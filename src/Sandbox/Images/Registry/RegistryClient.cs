using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sandbox.Runtime;

namespace Sandbox.Images.Registry;

/// <summary>The token endpoint's answer (distribution token auth): either field may carry the token.</summary>
internal sealed record TokenResponse(
    [property: JsonPropertyName("token")] string? Token,
    [property: JsonPropertyName("access_token")] string? AccessToken);

[JsonSerializable(typeof(TokenResponse))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;

/// <summary>
/// GETs against one repository of an OCI distribution (v2) registry: anonymous bearer-token handshake on
/// 401, redirects followed by hand (at most 5; never to plain http off loopback; the token only ever goes to
/// the registry itself), and responses that name the URL when they fail.
/// </summary>
internal sealed class RegistryClient(HttpMessageHandler handler, RegistryReference reference) : IDisposable
{
    public const int MaxRedirects = 5;

    private readonly HttpClient _http = new(handler, disposeHandler: false) { Timeout = TimeSpan.FromMinutes(30) };
    private string? _token;

    public static readonly string[] ManifestTypes =
    [
        Formats.MediaTypes.OciIndex, Formats.MediaTypes.OciManifest, Formats.MediaTypes.DockerList, Formats.MediaTypes.DockerManifest,
    ];

    /// <summary>GET relative to /v2/REPO/ ("manifests/REF", "blobs/DIGEST"); the caller disposes the response.</summary>
    public async Task<HttpResponseMessage> GetAsync(string path, IReadOnlyList<string> accept, CancellationToken ct)
    {
        var uri = new Uri(reference.BaseUri, path);
        bool retriedAuth = false;
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            foreach (string type in accept)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            }

            bool toRegistry = uri.Authority == reference.BaseUri.Authority && uri.Scheme == reference.BaseUri.Scheme;
            if (_token is not null && toRegistry)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            }

            HttpResponseMessage response = await Send(request, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized && toRegistry && !retriedAuth
                && BearerChallenge.Parse(response.Headers.WwwAuthenticate.ToString()) is { } challenge)
            {
                response.Dispose();
                _token = await FetchTokenAsync(challenge, ct).ConfigureAwait(false);
                retriedAuth = true;
                continue;
            }

            if ((int)response.StatusCode is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop >= MaxRedirects)
                {
                    throw Failed($"more than {MaxRedirects} redirects from {new Uri(reference.BaseUri, path)}");
                }

                uri = CheckedTarget(new Uri(uri, location));
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                string status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                response.Dispose();
                throw Failed($"{uri} answered {status}");
            }

            return response;
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A token response is a few KiB of JSON; a larger one is refused before it is buffered.</summary>
    public const int MaxTokenResponse = 64 * 1024;

    private async Task<string> FetchTokenAsync(BearerChallenge challenge, CancellationToken ct)
    {
        Uri tokenUri = CheckedTarget(challenge.TokenUri($"repository:{reference.Repository}:pull"));
        if (tokenUri.Scheme != Uri.UriSchemeHttps && reference.BaseUri.Scheme != Uri.UriSchemeHttp)
        {
            // The registry named its token service: an https registry does not get to send us to plain http, loopback or not.
            throw Failed($"refusing the token realm {tokenUri.GetLeftPart(UriPartial.Path)}: plain http, from the https registry {reference.BaseUri.Authority}",
                "a token service must be https unless the registry itself is plain http on loopback");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, tokenUri);
        using HttpResponseMessage response = await Send(request, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw Failed($"the token service {tokenUri.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode}",
                "only anonymous pulls are supported: credentials are not implemented");
        }

        byte[] body = await ReadBoundedAsync(response.Content, MaxTokenResponse, ct).ConfigureAwait(false)
            ?? throw Failed($"the token service {tokenUri.GetLeftPart(UriPartial.Path)} sent more than {MaxTokenResponse} bytes");
        TokenResponse? token;
        try
        {
            token = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.TokenResponse);
        }
        catch (JsonException e)
        {
            throw Failed($"the token service {tokenUri.GetLeftPart(UriPartial.Path)} sent invalid JSON: {e.Message}");
        }

        return token?.Token ?? token?.AccessToken ?? throw Failed($"the token service {tokenUri.GetLeftPart(UriPartial.Path)} sent no token");
    }

    // Null when the body is longer than max: it is never read beyond that.
    private static async Task<byte[]?> ReadBoundedAsync(HttpContent content, int max, CancellationToken ct)
    {
        if (content.Headers.ContentLength > max)
        {
            return null;
        }

        using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[max + 1];
        int total = 0, n;
        while (total < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0)
        {
            total += n;
        }

        return total > max ? null : buffer[..total];
    }

    /// <summary>Plain http is allowed only to loopback: a redirect or token realm elsewhere must be https.</summary>
    private static Uri CheckedTarget(Uri uri)
    {
        bool https = uri.Scheme == Uri.UriSchemeHttps;
        bool loopbackHttp = uri.Scheme == Uri.UriSchemeHttp && (uri.IsLoopback || uri.Host == "localhost");
        return https || loopbackHttp ? uri : throw Failed($"refusing {uri.GetLeftPart(UriPartial.Path)}: only https is allowed off loopback");
    }

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Failed($"cannot reach {request.RequestUri?.GetLeftPart(UriPartial.Authority)}: {e.Message}",
                "is the registry up and the address right? (http is used only for 127.0.0.1 and localhost)");
        }
    }

    private static SandboxException Failed(string message, string? hint = null) =>
        new(ErrorKind.ImageNotFound, $"pull: {message}", hint);
}
