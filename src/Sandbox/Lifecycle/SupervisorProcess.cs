using System.Text;
using Sandbox.Host;
using Sandbox.Runtime;
using Tmds.Linux;

namespace Sandbox.Lifecycle;

/// <summary>
/// Starting a supervisor without forking from managed code: util-linux `setsid -f` execs the binary
/// again (its hidden `supervise` verb) in a new session, detached from the caller and its terminal.
/// </summary>
public static class SupervisorProcess
{
    public static async Task SpawnAsync(string id, IReadOnlyList<string> runArguments)
    {
        string self = Environment.ProcessPath ?? throw new SandboxException(ErrorKind.Internal, "cannot find this program's path to start the supervisor");
        var output = await ExternalCommand.RunAsync("setsid", ["-f", self, "supervise", id, .. runArguments], ExternalCommand.DefaultTimeout, CancellationToken.None)
            .ConfigureAwait(false);
        if (!output.Succeeded)
        {
            throw new SandboxException(ErrorKind.HostUnsupported, $"could not start the supervisor of {id}: {output.FirstLine()}",
                "setsid comes with util-linux; check that it is installed");
        }
    }

    /// <summary>In the supervisor: stdin from /dev/null, stdout and stderr to its log, so the caller's pipes close.</summary>
    public static unsafe void DetachStdio(SandboxPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        int input = Open("/dev/null", LibC.O_RDONLY);
        int log = Open(paths.SupervisorLog, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND);
        _ = LibC.dup2(input, 0);
        _ = LibC.dup2(log, 1);
        _ = LibC.dup2(log, 2);
        _ = LibC.close(input);
        _ = LibC.close(log);

        static int Open(string path, int flags)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
            // SAFETY: pinned and NUL-terminated for the call.
            fixed (byte* p = bytes)
            {
                int fd = LibC.open(p, flags | LibC.O_CLOEXEC, 0b110_000_000);
                return fd >= 0 ? fd : throw new SandboxException(ErrorKind.HostUnsupported, $"the supervisor cannot open {path}");
            }
        }
    }
}
