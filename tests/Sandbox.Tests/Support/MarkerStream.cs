namespace Sandbox.Tests.Support;

/// <summary>
/// A workload's output stream for tests that drive a backend directly: collects what the workload
/// writes and completes <see cref="Seen"/> once <paramref name="marker"/> arrived (so a test acts
/// only once the workload runs).
/// </summary>
public sealed class MarkerStream(string marker) : MemoryStream
{
    private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Seen => _seen.Task;

    public string Text
    {
        get
        {
            lock (this)
            {
                return System.Text.Encoding.UTF8.GetString(ToArray());
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (this)
        {
            base.Write(buffer, offset, count);
        }

        if (Text.Contains(marker, StringComparison.Ordinal))
        {
            _seen.TrySetResult();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer, offset, count);
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.ToArray(), 0, buffer.Length);
        return ValueTask.CompletedTask;
    }
}
