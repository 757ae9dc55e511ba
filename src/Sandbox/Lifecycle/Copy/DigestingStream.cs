using System.Security.Cryptography;
using Sandbox.Images.Extraction;

namespace Sandbox.Lifecycle.Copy;

/// <summary>
/// Reads through to another stream, counting and hashing (SHA-256) what passed: what cp's audit record
/// states. Unlike the import's <see cref="MeteredStream"/> it has no budget and leaves the stream it
/// reads open (cp's stdin or the guest's output).
/// </summary>
internal sealed class DigestingStream(Stream inner) : ForwardOnlyReadStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long Bytes { get; private set; }

    public string Sha256 => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override long Position { get => Bytes; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _hash.AppendData(buffer[..n]);
        Bytes += n;
        return n;
    }

    /// <summary>Reads everything left (a tar reader stops at its end-of-archive blocks; the rest still counts).</summary>
    public void Drain()
    {
        var buffer = new byte[64 * 1024];
        while (Read(buffer, 0, buffer.Length) > 0)
        {
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
