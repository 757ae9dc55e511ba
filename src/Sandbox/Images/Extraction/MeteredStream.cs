using System.Security.Cryptography;

namespace Sandbox.Images.Extraction;

/// <summary>
/// A read-only pass-through that hashes (sha256) and counts what it reads, failing once more than
/// <see cref="Budget"/> bytes come through. Used for a layer's decompressed tar (its diff ID and the bomb
/// limit) and for blobs entering the store (their digest).
/// </summary>
/// <param name="interrupt">Checked on every read: an interrupted import (SIGINT/SIGTERM) stops at the next block.</param>
internal sealed class MeteredStream(Stream inner, long budget, string what, CancellationToken interrupt = default) : ForwardOnlyReadStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long Budget { get; } = budget;

    public long BytesRead { get; private set; }

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    /// <summary>Reads whatever is left (tar padding after the end-of-archive blocks) and returns "sha256:hex".</summary>
    public string DrainAndDigest()
    {
        byte[] buffer = new byte[81920];
        while (Read(buffer, 0, buffer.Length) > 0)
        {
        }

        return "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public override int Read(Span<byte> buffer)
    {
        interrupt.ThrowIfCancellationRequested();
        int n = inner.Read(buffer);
        BytesRead += n;
        if (BytesRead > Budget)
        {
            throw new LimitExceededException($"{what} is larger than the {Budget} bytes allowed");
        }

        _hash.AppendData(buffer[..n]);
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>An extraction limit was reached (size, count, ratio): the image is refused as a whole.</summary>
internal sealed class LimitExceededException(string message) : Exception(message);
