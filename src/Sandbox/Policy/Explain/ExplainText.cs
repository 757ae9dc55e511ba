using System.Text;
using System.Text.Json;

namespace Sandbox.Policy.Explain;

/// <summary>Renders an evaluation for people (`policy explain`) or as JSON (`--json`).</summary>
public static class ExplainText
{
    // Text for terminals and files, not HTML: quotes and apostrophes in reasons stay readable.
    private static readonly ExplainJsonContext Context = new(new JsonSerializerOptions(ExplainJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static string Json(PolicyEvaluation evaluation) =>
        JsonSerializer.Serialize(ExplainReport.From(evaluation), Context.ExplainReport) + "\n";

    public static string Human(PolicyEvaluation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var s = new StringBuilder();
        s.Append($"policy:  {e.PolicySource} (sha256 {e.PolicySha256[..12]})\n");
        s.Append($"verdict: {(e.Allowed ? "allowed" : "refused")}\n");
        if (e.Refusal is { } r)
        {
            s.Append($"  {r.Message}\n  hint: {r.Hint}\n");
        }

        if (e.Decision is { } d)
        {
            var l = d.Limits;
            s.Append($"backend: {PolicyNames.Backend(d.Backend)} (rule \"{d.Rule?.Name}\", {d.Rule?.Location})\n");
            s.Append(d.Backend == BackendKind.MicroVm
                ? $"kernel: {d.Kernel}, accelerator: {PolicyNames.Accelerator(d.Accelerator)}, emulation: {(d.AllowEmulation ? "allowed" : "not allowed")}\n"
                : "kernel: host (shared with the host)\n");
            if (d.Backend == BackendKind.MicroVm)
            {
                s.Append(d.Templates
                    ? "guest: restored from a VM template when one matches (else booted, and saved as one)\n"
                    : "guest: booted (templates: false)\n");
            }

            s.Append($"seccomp: {d.SeccompProfile}, capabilities: {Shown(d.Capabilities)}, network: {d.Network}\n");
            s.Append($"limits: memory {PolicyNames.Size(l.MemoryBytes)}, cpus {PolicyNames.Number(l.Cpus)}, pids {l.PidsLimit}, tmpfs {PolicyNames.Size(l.TmpfsBytes)}, open files {l.OpenFiles}, timeout {PolicyNames.Duration(l.Timeout)}, volume size {PolicyNames.Size(l.VolumeBytes)}\n");
            s.Append($"volumes: {Shown(d.Volumes)}, binds: {Shown(d.Binds)}, devices: {Shown(d.Devices)}\n");
            s.Append("why:\n");
            foreach (string reason in d.Reasons)
            {
                s.Append($"  - {reason}\n");
            }
        }

        s.Append("rules (in order; deny overrides, then the first matching allow decides):\n");
        foreach (RuleTrace t in e.Trace)
        {
            string verdict = t.Matched ? "matched" : "no match";
            s.Append($"  {(t.Effect == RuleEffect.Allow ? "allow" : "deny "),-5} {t.Rule.Name} ({t.Rule.Location}): {verdict}\n");
            foreach (string reason in t.Reasons)
            {
                s.Append($"        {reason}\n");
            }
        }

        return s.ToString();
    }

    private static string Shown(IReadOnlyCollection<string> items) => items.Count == 0 ? "none" : string.Join(", ", items);
}
