using System.Diagnostics;

namespace Sandbox.Images.Extraction;

/// <summary>The stdout of a `zstd -dc` child; at end of stream its exit status is checked, and disposal ends it.</summary>
internal sealed class ZstdStream : ForwardOnlyReadStream
{
    private readonly Process _process;
    private readonly Stream _stdout;
    private readonly string _digest;
    private readonly Task<string> _stderr;

    public ZstdStream(Process process, string digest)
    {
        _process = process;
        _stdout = process.StandardOutput.BaseStream;
        _digest = digest;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public override int Read(Span<byte> buffer)
    {
        int n = _stdout.Read(buffer);
        if (n == 0 && buffer.Length > 0)
        {
            _process.WaitForExit();
            if (_process.ExitCode != 0)
            {
                throw new InvalidDataException($"zstd could not decompress layer {_digest}: {_stderr.Result.Trim()}");
            }
        }

        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (!_process.HasExited)
            {
                _process.Kill(); // only the child this stream started
            }

            _process.WaitForExit();
            _stdout.Dispose();
            _process.Dispose();
        }

        base.Dispose(disposing);
    }
}
