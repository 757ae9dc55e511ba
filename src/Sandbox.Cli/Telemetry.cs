using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sandbox.Telemetry;

namespace Sandbox.Cli;

/// <summary>
/// Exports the library's spans and metrics over OTLP when the standard environment asks for it:
/// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER/OTEL_METRICS_EXPORTER=otlp); the SDK reads
/// the rest (OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES).
/// OTEL_SDK_DISABLED=true turns it off. Nothing is set up otherwise, so a plain run pays nothing.
/// </summary>
internal sealed class Telemetry : IDisposable
{
    private readonly TracerProvider? traces;
    private readonly MeterProvider? metrics;

    private Telemetry(TracerProvider? traces, MeterProvider? metrics)
    {
        this.traces = traces;
        this.metrics = metrics;
    }

    public static Telemetry FromEnvironment()
    {
        if (Env("OTEL_SDK_DISABLED") == "true")
        {
            return new Telemetry(null, null);
        }

        bool endpoint = !string.IsNullOrEmpty(Env("OTEL_EXPORTER_OTLP_ENDPOINT"));
        bool tracesOn = Env("OTEL_TRACES_EXPORTER") is { } t ? t == "otlp" : endpoint;
        bool metricsOn = Env("OTEL_METRICS_EXPORTER") is { } m ? m == "otlp" : endpoint;
        if (!tracesOn && !metricsOn)
        {
            return new Telemetry(null, null); // the SDK costs milliseconds to set up: only pay when exporting
        }

        var resource = ResourceBuilder.CreateDefault().AddService("sandbox");
        return new Telemetry(
            tracesOn ? Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(SandboxDiagnostics.Name).AddOtlpExporter().Build() : null,
            metricsOn ? Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(SandboxDiagnostics.Name).AddOtlpExporter().Build() : null);
    }

    /// <summary>Flushes what was recorded: the CLI is short-lived, so export happens at exit.</summary>
    public void Dispose()
    {
        traces?.Dispose();
        metrics?.Dispose();
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim().ToLowerInvariant() : null;
}
