using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sandbox.Telemetry;

/// <summary>
/// The lifecycle's instrumentation, on <see cref="SandboxDiagnostics"/>' source and meter: a span per
/// action on a detached sandbox (run -d, start, restart, stop, kill, rm, wait), and two instruments:
/// sandbox.sandboxes.running, an up-down counter each supervisor moves up when its workload runs and
/// down when it ends (summed across supervisors by the backend, it is the number running), and
/// sandbox.sandboxes.restarts, counted by the supervisor at each restart.
/// </summary>
public static class LifecycleDiagnostics
{
    /// <summary>sandbox.sandboxes.running{sandbox.backend}.</summary>
    public static readonly UpDownCounter<long> Running = SandboxDiagnostics.Meter.CreateUpDownCounter<long>(
        "sandbox.sandboxes.running", unit: "{sandbox}", description: "Detached sandboxes whose workload runs (each supervisor adds 1 while it does)");

    /// <summary>sandbox.sandboxes.restarts{sandbox.backend}.</summary>
    public static readonly Counter<long> Restarts = SandboxDiagnostics.Meter.CreateCounter<long>(
        "sandbox.sandboxes.restarts", unit: "{restart}", description: "Restarts applied by the restart policy");

    /// <summary>Starts the span of one action ("sandbox.lifecycle.stop"...) on <paramref name="sandbox"/> (an ID or name as given); null when nobody listens.</summary>
    public static Activity? StartAction(string action, string? sandbox)
    {
        ArgumentException.ThrowIfNullOrEmpty(action);
        Activity? a = SandboxDiagnostics.Source.StartActivity("sandbox.lifecycle." + action);
        a?.SetTag("sandbox.lifecycle.action", action);
        a?.SetTag("sandbox.id", sandbox);
        return a;
    }

    /// <summary>Marks the span failed with the reason (OpenTelemetry's error status).</summary>
    public static void Failed(Activity? activity, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        activity?.SetStatus(ActivityStatusCode.Error, error.Message);
        activity?.SetTag("error.type", error.GetType().Name);
    }

    public static KeyValuePair<string, object?> Backend(string backend) => new("sandbox.backend", backend);
}
