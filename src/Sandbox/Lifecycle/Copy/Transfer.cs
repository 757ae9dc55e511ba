using System.IO.Pipes;
using Sandbox.Audit;
using Sandbox.Images.Extraction;
using Sandbox.Runtime;

namespace Sandbox.Lifecycle.Copy;

/// <summary>
/// Runs one copy: a producer writing a tar stream (or a given stream) and a consumer reading it,
/// joined by a pipe, with what passed counted and hashed for the audit record.
/// </summary>
internal static class Transfer
{
    public static async Task<AuditCopy> RunAsync(Action<Stream>? produce, Stream? given, Action<Stream> consume, string direction, string path)
    {
        try
        {
            if (given is not null)
            {
                using var digest = new DigestingStream(given);
                await Task.Run(() =>
                {
                    consume(digest);
                    digest.Drain();
                }).ConfigureAwait(false);
                return new AuditCopy(direction, path, digest.Bytes, digest.Sha256);
            }

            using var writer = new AnonymousPipeServerStream(PipeDirection.Out);
            using var reader = new AnonymousPipeClientStream(PipeDirection.In, writer.ClientSafePipeHandle);
            var producer = Task.Run(() =>
            {
                try
                {
                    produce!(writer);
                }
                finally
                {
                    writer.Dispose(); // end of stream for the consumer
                }
            });
            using var digested = new DigestingStream(reader);
            var consumer = Task.Run(() =>
            {
                try
                {
                    consume(digested);
                    digested.Drain();
                }
                finally
                {
                    reader.Dispose(); // a producer still writing fails instead of blocking
                }
            });
            try
            {
                await consumer.ConfigureAwait(false);
            }
            finally
            {
                try
                {
                    await producer.ConfigureAwait(false);
                }
                catch (IOException) when (!consumer.IsCompletedSuccessfully)
                {
                    // the consumer failed first: its error is the one to report
                }
            }

            return new AuditCopy(direction, path, digested.Bytes, digested.Sha256);
        }
        catch (Exception e) when (e is IOException or LayerRefusedException or LimitExceededException or InvalidDataException or FormatException)
        {
            bool readOnly = e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("EROFS", StringComparison.Ordinal);
            bool ended = e is EndOfStreamException;
            throw new SandboxException(ErrorKind.Refused, $"cp: {(ended ? "the tar stream ended early (it was empty or cut short)" : e.Message)}",
                readOnly ? "that part of the sandbox is read-only; copy into /tmp or a volume mounted read-write"
                : ended ? "cp - NAME:/path reads a tar stream, e.g. tar -c -f - FILES | sandbox cp - NAME:/tmp; what came before the cut was copied"
                : "what came before that entry was copied; the rest was not");
        }
    }
}
