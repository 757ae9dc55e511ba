using System.Globalization;
using System.Text;
using System.Text.Json;
using Sandbox.Audit;

namespace Sandbox.Cli.Commands;

/// <summary>How audit records are shown: a table, one record in detail, or JSON.</summary>
internal static class AuditView
{
    public static string Table(IReadOnlyList<AuditRecord> records)
    {
        var s = new StringBuilder();
        s.Append($"{"ID",-5} {"TIME",-24} {"UID",-5} {"IMAGE",-16} {"RULE",-28} {"BACKEND",-9} {"OUTCOME",-8} EXIT\n");
        foreach (AuditRecord r in records)
        {
            s.Append($"{r.Seq,-5} {r.Time,-24} {r.Uid,-5} {Cut(E(r.Image.Reference), 16),-16} {Cut(E(r.Rule?.Name ?? "-"), 28),-28} {r.Decision?.Backend ?? "-",-9} {r.Outcome,-8} {(r.ExitCode is { } code ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")}\n");
        }

        return s.ToString();
    }

    public static string Detail(AuditRecord r)
    {
        var s = new StringBuilder();
        s.Append($"record:   {r.Seq}{(r.Sandbox is { } id ? $" (sandbox {id})" : "")}\n");
        s.Append($"time:     {r.Time}\nuid:      {r.Uid}{(r.LoginUid is { } l ? $" (login uid {l})" : "")}\n");
        s.Append($"command:  {(r.Command.Count == 0 ? "(image default)" : E(string.Join(' ', r.Command)))}\n");
        if (r.CommandBytes is { } bytes)
        {
            s.Append($"bytes:    {E(string.Join(' ', bytes))} (hex, per argument: not all UTF-8)\n");
        }

        s.Append($"image:    {E(r.Image.Reference)}{(r.Image.Digest is { } d ? $"@{E(d)}" : "")}\n");
        s.Append($"policy:   {E(r.Policy?.Source ?? "-")} (sha256 {r.Policy?.Sha256 ?? "-"})\n");
        if (r.Facts is { } f)
        {
            s.Append($"facts:    trust {f.Trust}, backend {f.Backend}, command {(f.Command.Count == 0 ? "-" : E(string.Join(' ', f.Command)))}, volumes {Shown(f.Volumes.Select(v => $"{v.Name}:{v.Target}:{(v.ReadOnly ? "ro" : "rw")}{(v.WrittenByUntrusted ? " (tainted)" : "")}"))}");
            s.Append($", binds {Shown(f.Binds)}, capabilities {Shown(f.Capabilities)}, network {f.Network}, kernel {E(f.Kernel ?? "-")}, host kernel {E(f.HostKernel ?? "-")}\n");
        }

        s.Append($"rule:     {(r.Rule is { } rule ? E($"{rule.Name} ({rule.File}:{rule.Line})") : "-")}\n");
        if (r.Decision is { } dec)
        {
            s.Append($"decision: {dec.Backend}, seccomp {dec.SeccompProfile}, capabilities {Shown(dec.Capabilities)}, network {dec.Network}");
            s.Append($", memory {dec.Limits.MemoryBytes}, cpus {dec.Limits.Cpus}, pids {dec.Limits.PidsLimit}{(dec.Kernel is { } k ? $", kernel {k}" : "")}\n");
        }

        if (r.Applied is { } a)
        {
            s.Append($"applied:  {a.Backend} via {a.Engine}, seccomp {a.SeccompProfile} sha256 {a.SeccompSha256 ?? "NONE"}\n");
            s.Append($"          capabilities {(a.Capabilities is { } c ? Shown([.. c.Bounding, .. c.Effective, .. c.Permitted, .. c.Inheritable, .. c.Ambient]) : "-")}");
            s.Append(a.UidMap.Count == 0 && a.GidMap.Count == 0 && a.Backend == "microvm"
                ? ", no user namespace (the guest kernel is the boundary)\n"
                : $", uid map {string.Join(" ", a.UidMap.Select(m => $"{m.ContainerId}:{m.HostId}:{m.Size}"))}, gid map {string.Join(" ", a.GidMap.Select(m => $"{m.ContainerId}:{m.HostId}:{m.Size}"))}\n");
            s.Append($"          namespaces {string.Join(",", a.Namespaces)}, read-only root {YesNo(a.ReadonlyRoot)}, no-new-privileges {YesNo(a.NoNewPrivileges)}, network {a.Network}\n");
            s.Append($"          limits {Limits(a.Limits)}\n");
            s.Append($"          mounts {(a.Volumes.Count == 0 ? "none" : E(string.Join(", ", a.Volumes.Select(m => $"{m.Target} ({(m.ReadOnly ? "ro" : "rw")}, {m.Mechanism})"))))}\n");
            if (a.Kernel is not null || a.Accelerator is not null || a.Vmm is not null)
            {
                s.Append($"          kernel {a.Kernel ?? "-"}, accelerator {a.Accelerator ?? "-"}, vmm {(a.Vmm is { } v ? $"uid {v.Uid}, seccomp {YesNo(v.Seccomp)}, namespaces {string.Join(",", v.Namespaces)}" : "-")}\n");
            }

            if (a.Init is { } init)
            {
                s.Append($"          init {init} as PID 1 (--init: signals forwarded, zombies reaped)\n");
            }

            if (a.Boot is { } boot)
            {
                s.Append($"          guest {boot}\n");
            }

            if (a.GuestConfirmation is { } g)
            {
                s.Append($"          guest init confirmed: {g}\n");
            }
        }

        s.Append($"outcome:  {r.Outcome}{(r.RefusedBy is "check" ? " (by a check after the policy allowed it)" : r.RefusedBy is "policy" ? " (by the policy)" : "")}{(r.ExitCode is { } code ? $", exit {code}" : "")}\n");
        if (r.Error is { } e)
        {
            s.Append($"error:    {E(e)}\n");
        }

        s.Append($"chain:    prev {r.Prev}\n          hash {r.Hash}\n");
        if (r.Mac is { } mac)
        {
            s.Append($"          mac  {mac} (HMAC-SHA256 under the audit key)\n");
        }

        return s.ToString();
    }

    private static readonly AuditCliJsonContext Context = new(new JsonSerializerOptions(AuditCliJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // terminal text, not HTML
    });

    public static string Json(AuditRecord r) => JsonSerializer.Serialize(r, Context.AuditRecord) + "\n";

    public static string JsonArray(IReadOnlyList<AuditRecord> records) =>
        JsonSerializer.Serialize(records, Context.IReadOnlyListAuditRecord) + "\n";

    private static string Shown(IEnumerable<string> items) => items.Any() ? E(string.Join(",", items)) : "none";

    /// <summary>The cgroup limits as handed to the engine; "-" for one not set (unlimited).</summary>
    private static string Limits(AppliedLimits? l) => l is null ? "-"
        : $"memory {(l.MemoryBytes is { } m ? m.ToString(CultureInfo.InvariantCulture) : "-")}, cpu {(l.CpuQuota is { } q && l.CpuPeriod is { } p ? $"{q}/{p} us" : "-")}, pids {(l.Pids is { } n ? n.ToString(CultureInfo.InvariantCulture) : "-")}";

    private static string YesNo(bool value) => value ? "yes" : "no";

    // Records hold what a sandbox and its image supplied (commands, names, errors): never raw control characters on a terminal.
    private static string E(string text) => Sandbox.Host.Printable.Escape(text);

    private static string Cut(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
