namespace Sandbox.Analysis.Sinkhole;

/// <summary>
/// `sandbox analyze --network sinkhole`: the fake network lives entirely in the guest. Guest init
/// starts the helper (sinkhole.c, compiled by the build and embedded, put in the initramfs), which
/// makes the network namespace crun then puts the sample in: only a loopback, every address local,
/// every TCP connection and DNS question answered by the helper, which runs outside the sample's
/// PID, mount and user namespaces as another identity. The VM still has no network device.
/// </summary>
public static class Sinkhole
{
    /// <summary>Where the initramfs keeps the helper (init's root, which the sample never sees).</summary>
    public const string GuestPath = "/usr/libexec/sandbox-sinkhole";

    /// <summary>The network namespace the helper makes and bind-mounts here; the sample's config.json joins it.</summary>
    public const string NetnsPath = "/run/sinkhole/net";

    /// <summary>The helper's identity after setup: not the sample's (guest uid 0 or the image's user), owns nothing.</summary>
    public const uint HelperUid = 65533;

    /// <summary>The address DNS answers A questions with (TEST-NET-1, RFC 5737), and AAAA (RFC 3849).</summary>
    public const string AnswerIPv4 = "192.0.2.1";

    public const string AnswerIPv6 = "2001:db8::1";

    /// <summary>How many bytes of a connection the helper keeps.</summary>
    public const int FirstBytes = 4096;

    /// <summary>What the helper answers an HTTP/1.x request with (sinkhole.c's HTTP_REPLY), as the report names it.</summary>
    public const string HttpReply = "HTTP/1.0 200 OK, empty body";

    /// <summary>The compiled helper (a static executable), embedded by the build.</summary>
    public static byte[] Binary => LazyBinary.Value;

    private static readonly Lazy<byte[]> LazyBinary = EmbeddedBinary.Named("sinkhole");
}
