using Sandbox.Runtime;

namespace Sandbox.Lifecycle;

/// <summary>A detached sandbox's files under the state root: &lt;root&gt;/sandboxes/&lt;id&gt;/.</summary>
public sealed class SandboxPaths(StateRoot root, string id)
{
    public string Dir { get; } = System.IO.Path.Combine(root.Path, "sandboxes", id);

    /// <summary>Held (flock) by the live supervisor: its death releases it, whatever killed it.</summary>
    public string Lock => System.IO.Path.Combine(Dir, "supervisor.lock");

    /// <summary>Held (flock) by `run -d` from before the row exists until the supervisor holds <see cref="Lock"/>: a start killed midway is seen.</summary>
    public string Starting => System.IO.Path.Combine(Dir, "starting.lock");

    /// <summary>The supervisor's own messages (why a workload could not start).</summary>
    public string SupervisorLog => System.IO.Path.Combine(Dir, "supervisor.log");

    /// <summary>The workload's output, json-file records; the rotated file is <c>.1</c>.</summary>
    public string Log => System.IO.Path.Combine(Dir, "container.log");

    /// <summary>The supervisor's control socket (mode 0600: root only).</summary>
    public string Control => System.IO.Path.Combine(Dir, "control.sock");

    public string Create()
    {
        Directory.CreateDirectory(Dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Dir;
    }
}
