namespace Sandbox.Runtime;

/// <summary>
/// The last resort for an exception no code path mapped to a <see cref="SandboxException"/>: it still
/// becomes exit 125 with one line naming what failed (the exception's own message names the path for
/// I/O errors), and the run's audit record says `failed` with that line.
/// </summary>
public static class Failures
{
    public static SandboxException Unmapped(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e is SandboxException mapped)
        {
            return mapped;
        }

        string what = e switch
        {
            UnauthorizedAccessException or IOException => $"host I/O error: {e.Message}",
            _ => $"internal error ({e.GetType().Name}): {e.Message}",
        };
        return new SandboxException(ErrorKind.Internal, $"the launcher failed: {what}",
            "SANDBOX_DEBUG=1 prints the stack trace; if the cause is not on the host, please report it", e);
    }
}
