using System.Net;
using System.Text;
using Sandbox.Images;
using Sandbox.Images.Extraction;
using Sandbox.Images.Registry;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Images;

/// <summary>
/// The distribution protocol details a plain registry does not exercise, against an in-process fake:
/// the bearer-token handshake, redirects (no token to another host, no plain http off loopback), a
/// multi-platform index, and a registry that serves the wrong bytes for a digest.
/// </summary>
// Disk-heavy: run alone, so host-wide measurements in other tests (free space, timing) see only their own work.
[Collection(SerialTests.Name)]
public sealed class RegistryProtocolTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-registry-fake-").FullName;
    private readonly StateRoot _root;
    private readonly FakeRegistry _fake;

    public RegistryProtocolTests()
    {
        Require.Root(); // a pull ends in extraction, which chowns every entry to its image owner
        _root = new StateRoot(Path.Combine(_work, "root"));
        string layout = Path.Combine(_work, "layout");
        string manifest = OciLayoutWriter.Write(layout, [new TarBuilder().File("hello", "world").Build()]);
        _fake = new FakeRegistry(layout, manifest);
    }

    [Fact]
    public async Task Bearer_token_handshake_then_redirected_blobs_without_the_token()
    {
        var result = await Pull("127.0.0.1:5000/team/app:1");
        Assert.Equal(["127.0.0.1:5000/team/app:1"], result.Names);
        Assert.Contains(_fake.Seen, r => r.StartsWith("GET http://127.0.0.1:5000/token?service=fake&scope=repository%3Ateam%2Fapp%3Apull", StringComparison.Ordinal));
        Assert.All(_fake.Seen.Where(r => r.Contains("localhost:6000", StringComparison.Ordinal)), r => Assert.EndsWith("auth=none", r, StringComparison.Ordinal));
        Assert.Contains(_fake.Seen, r => r.Contains("127.0.0.1:5000/v2/team/app/manifests/1", StringComparison.Ordinal) && r.EndsWith("auth=Bearer secret-token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_multi_platform_index_resolves_to_this_hosts_platform()
    {
        _fake.ServeIndex = true;
        var result = await Pull("127.0.0.1:5000/team/app:1");
        Assert.Equal(_fake.ManifestDigest, result.Digest);
    }

    [Fact]
    public async Task Wrong_bytes_for_a_digest_are_refused_and_nothing_is_registered()
    {
        _fake.CorruptBlobs = true;
        var e = await Assert.ThrowsAsync<SandboxException>(() => Pull("127.0.0.1:5000/team/app:1"));
        Assert.Contains("digest mismatch", e.Message, StringComparison.Ordinal);
        Assert.Empty(ImageStore.List(_root));
    }

    [Fact]
    public async Task A_redirect_to_plain_http_off_loopback_is_refused()
    {
        _fake.RedirectTo = "http://example.invalid/blob";
        var e = await Assert.ThrowsAsync<SandboxException>(() => Pull("127.0.0.1:5000/team/app:1"));
        Assert.Contains("only https is allowed off loopback", e.Message, StringComparison.Ordinal);
    }

    // An https registry must not steer the launcher to a plain-http token service, even one on loopback.
    [Fact]
    public async Task An_https_registry_with_a_plain_http_token_realm_is_refused()
    {
        var e = await Assert.ThrowsAsync<SandboxException>(() => Pull("registry.example.com/team/app:1"));
        Assert.Contains("refusing the token realm http://127.0.0.1:5000/token: plain http, from the https registry registry.example.com", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_fake.Seen, r => r.Contains("/token", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_oversized_token_response_is_refused(bool announced)
    {
        _fake.TokenBytes = 8 << 20;
        _fake.AnnounceLength = announced;
        var e = await Assert.ThrowsAsync<SandboxException>(() => Pull("127.0.0.1:5000/team/app:1"));
        Assert.Contains($"sent more than {RegistryClient.MaxTokenResponse} bytes", e.Message, StringComparison.Ordinal);
        Assert.Empty(ImageStore.List(_root));
    }

    [Theory]
    [InlineData("127.0.0.1:5000/app:1", "http://127.0.0.1:5000/v2/app/", "1")]
    [InlineData("registry.example.com/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000", "https://registry.example.com/v2/a/b/", "sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("busybox", "https://registry-1.docker.io/v2/library/busybox/", "latest")]
    [InlineData("localhost:5000/x", "http://localhost:5000/v2/x/", "latest")]
    public void References_parse_with_http_only_on_loopback(string text, string baseUri, string reference)
    {
        var parsed = RegistryReference.Parse(text);
        Assert.Equal(baseUri, parsed.BaseUri.ToString());
        Assert.Equal(reference, parsed.Reference);
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private Task<ImportResult> Pull(string reference) =>
        ImagePuller.PullAsync(_root, reference, _fake, ExtractionLimits.Default, CancellationToken.None);

    /// <summary>Serves one OCI layout like a token-protected registry that redirects blob downloads to another host.</summary>
    private sealed class FakeRegistry(string layout, string manifestDigest) : HttpMessageHandler
    {
        public List<string> Seen { get; } = [];
        public string ManifestDigest => manifestDigest;
        public bool ServeIndex { get; set; }
        public bool CorruptBlobs { get; set; }
        public string RedirectTo { get; set; } = "http://localhost:6000/storage/";
        public int TokenBytes { get; set; }
        public bool AnnounceLength { get; set; } = true;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string auth = request.Headers.Authorization?.ToString() ?? "none";
            Uri uri = request.RequestUri!;
            lock (Seen)
            {
                Seen.Add($"GET {uri} auth={auth}");
            }

            if (uri.AbsolutePath == "/token")
            {
                if (TokenBytes > 0)
                {
                    byte[] huge = Encoding.ASCII.GetBytes("{\"token\":\"" + new string('a', TokenBytes) + "\"}");
                    HttpContent content = AnnounceLength ? new ByteArrayContent(huge) : new StreamContent(new UnsizedStream(huge));
                    return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
                }

                return Reply(HttpStatusCode.OK, "{\"token\":\"secret-token\"}");
            }

            if (uri.Authority == "localhost:6000")
            {
                string hex = uri.AbsolutePath.Split('/')[^1];
                byte[] data = File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", hex));
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(CorruptBlobs ? [.. data, 0] : data) });
            }

            if (auth != "Bearer secret-token")
            {
                var challenge = new HttpResponseMessage(HttpStatusCode.Unauthorized);
                challenge.Headers.WwwAuthenticate.ParseAdd("Bearer realm=\"http://127.0.0.1:5000/token\",service=\"fake\",scope=\"repository:team/app:pull\"");
                return Task.FromResult(challenge);
            }

            string last = uri.AbsolutePath.Split('/')[^1];
            if (uri.AbsolutePath.Contains("/manifests/", StringComparison.Ordinal))
            {
                if (ServeIndex && last == "1")
                {
                    long size = new FileInfo(Path.Combine(layout, "blobs", "sha256", manifestDigest[7..])).Length;
                    return Reply(HttpStatusCode.OK,
                        $"{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" +
                        $"{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:{new string('a', 64)}\",\"size\":1,\"platform\":{{\"architecture\":\"arm64\",\"os\":\"linux\"}}}}," +
                        $"{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{manifestDigest}\",\"size\":{size},\"platform\":{{\"architecture\":\"amd64\",\"os\":\"linux\"}}}}]}}");
                }

                string digest = last == "1" ? manifestDigest : last;
                return Reply(HttpStatusCode.OK, File.ReadAllText(Path.Combine(layout, "blobs", "sha256", digest[7..])));
            }

            var redirect = new HttpResponseMessage(HttpStatusCode.TemporaryRedirect);
            redirect.Headers.Location = new Uri(RedirectTo.EndsWith('/') ? RedirectTo + last[7..] : RedirectTo);
            return Task.FromResult(redirect);
        }

        private static Task<HttpResponseMessage> Reply(HttpStatusCode status, string body) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }

    /// <summary>A body whose length is not known up front (as with chunked transfer).</summary>
    private sealed class UnsizedStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
