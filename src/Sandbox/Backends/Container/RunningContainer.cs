using System.Text.Json;
using Sandbox.Host;
using Sandbox.Runtime;

namespace Sandbox.Backends.Container;

/// <summary>
/// A container that runs now under this state root, found from the outside (by a verb in another
/// process than its supervisor): the OCI runtime holding its state, its run directory (with the
/// config.json it was started from) and its init's PID as the runtime reports it.
/// </summary>
public sealed record RunningContainer(string Id, OciRuntime Runtime, string RunDir, int Pid)
{
    /// <summary>The running container <paramref name="id"/>; null when no runtime has it running.</summary>
    public static async Task<RunningContainer?> FindAsync(StateRoot root, string id)
    {
        ArgumentNullException.ThrowIfNull(root);
        string runDir = Path.Combine(root.Runs, id);
        // A sandbox is recorded running once created, before its runtime started the workload: wait for that briefly.
        for (int attempt = 0; attempt < 100; attempt++)
        {
            bool starting = true;
            foreach (string name in OciRuntime.Known)
            {
                if (OciRuntime.Find(name, root) is not { } runtime || !runtime.HasState(id))
                {
                    continue;
                }

                var state = await ExternalCommand.RunAsync(runtime.BinaryPath, ["--root", runtime.StateDir, "state", id], TimeSpan.FromSeconds(30), CancellationToken.None)
                    .ConfigureAwait(false);
                if (state.Succeeded && Parse(state.Stdout) is { } pid && File.Exists(Path.Combine(runDir, "config.json")))
                {
                    return new RunningContainer(id, runtime, runDir, pid);
                }

                // Being created (its state not written yet, or "created"): wait; "stopped" is final.
                starting = !(state.Succeeded && state.Stdout.Contains("\"stopped\"", StringComparison.Ordinal));
            }

            if (!starting)
            {
                break;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>The init PID of `runtime state` output when its status is running.</summary>
    public static int? Parse(string stateJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(stateJson);
            var r = doc.RootElement;
            return r.ValueKind == JsonValueKind.Object && r.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String && s.GetString() == "running"
                && r.TryGetProperty("pid", out var p) && p.TryGetInt32(out int pid) && pid > 1
                ? pid
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The process the sandbox's workload was started with.</summary>
    public OciProcess AppliedProcess() => Spec().Process;

    /// <summary>The config.json the sandbox was started from (written by the launcher, owned by root, read as a bundle file).</summary>
    public OciSpec Spec() =>
        System.Text.Json.JsonSerializer.Deserialize(Host.Files.BundleFile.Read(Path.Combine(RunDir, "config.json"), 0, 4 << 20) is { Content: { } c } ? c
            : throw new SandboxException(ErrorKind.StateConflict, $"sandbox {Id}: its config.json cannot be read", "sandbox inspect shows its state"),
            OciJsonContext.Default.OciSpec) ?? throw new SandboxException(ErrorKind.StateConflict, $"sandbox {Id}: its config.json is empty");
}
