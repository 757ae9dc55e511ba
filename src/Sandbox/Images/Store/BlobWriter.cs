using System.Security.Cryptography;

namespace Sandbox.Images.Store;

/// <summary>
/// Writes one blob into the store's tmp directory, hashing as it goes; <see cref="Commit"/> checks the
/// digest and renames the file into blobs/sha256/ (atomic). Disposed without a commit, it leaves nothing.
/// </summary>
internal sealed class BlobWriter : Stream
{
    private readonly ContentStore _store;
    private readonly string _temp;
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly long _maxBytes;
    private readonly string _what;
    private bool _committed;

    public BlobWriter(ContentStore store, long maxBytes, string what)
    {
        _store = store;
        _maxBytes = maxBytes;
        _what = what;
        _temp = Path.Combine(store.TmpDir, $"blob-{Guid.NewGuid():N}");
        _file = new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    }

    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _store.Interrupt.ThrowIfCancellationRequested(); // disposing without a commit then deletes the temporary file
        Written += buffer.Length;
        if (Written > _maxBytes)
        {
            throw new InvalidDataException($"{_what} is larger than the {_maxBytes} bytes allowed");
        }

        _hash.AppendData(buffer);
        _file.Write(buffer);
    }

    /// <summary>Publishes the blob; a mismatch with <paramref name="expected"/> deletes it and throws.</summary>
    public string Commit(string? expected)
    {
        string digest = "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());
        if (expected is not null && expected != digest)
        {
            throw new DigestMismatchException($"{_what}: expected {expected}, got {digest}");
        }

        _file.Flush(flushToDisk: true);
        _file.Dispose();
        File.Move(_temp, _store.BlobPath(digest), overwrite: true); // same digest, same bytes
        _committed = true;
        return digest;
    }

    public override void Flush() => _file.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
            _hash.Dispose();
            if (!_committed)
            {
                File.Delete(_temp);
            }
        }

        base.Dispose(disposing);
    }
}

/// <summary>Content did not hash to the digest that names it.</summary>
internal sealed class DigestMismatchException(string message) : Exception(message);
