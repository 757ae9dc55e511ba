using System.Text;
using System.CommandLine;
using System.Text.Json;
using Sandbox.Audit;
using Sandbox.Lifecycle;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>
/// `sandbox inspect [--json] SANDBOX`: its state (the database) and what it was started with (its
/// "started" audit record: decision, deciding rule, applied hardening, mounts), so inspect can never
/// show something the audit trail does not.
/// </summary>
internal static class InspectCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("SANDBOX") { Description = "Sandbox ID or name" };
        var command = new Command("inspect", "Show a detached sandbox's state, decision and applied hardening") { name };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            StateRoot root = GlobalOptions.StateRootFrom(r);
            using var sandboxes = new DetachedSandboxes(root);
            await sandboxes.ReconcileAsync().ConfigureAwait(false);
            var row = sandboxes.Require(r.GetValue(name)!);
            var (started, line) = StartedRecord(AuditLog.For(root), row.Id);
            if (r.GetValue(GlobalOptions.Json))
            {
                using var stdout = Console.OpenStandardOutput();
                using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
                {
                    w.WriteStartObject();
                    w.WritePropertyName("state");
                    LifecycleText.WriteRecord(w, row);
                    w.WritePropertyName("started");
                    if (line is { } raw)
                    {
                        w.WriteRawValue(raw.Span, skipInputValidation: false);
                    }
                    else
                    {
                        w.WriteNullValue();
                    }

                    w.WriteEndObject();
                }

                stdout.WriteByte((byte)'\n');
                return 0;
            }

            var s = new StringBuilder();
            s.Append($"sandbox:  {row.Id} ({row.Name})\nstatus:   {LifecycleText.Status(row)}\ncreated:  {LifecycleText.Time(row.Created)}\n");
            s.Append($"started:  {(row.Started is { } st ? LifecycleText.Time(st) : "-")}\nfinished: {(row.Finished is { } f ? LifecycleText.Time(f) : "-")}\n");
            if (started is not null)
            {
                s.Append(AuditView.Detail(started));
            }

            Console.Out.Write(s.ToString());
            return 0;
        }));
        return command;
    }

    /// <summary>The sandbox's last "started" record and its line as stored; nulls when the log has none.</summary>
    private static (AuditRecord? Record, ReadOnlyMemory<byte>? Line) StartedRecord(AuditLog log, string id)
    {
        (AuditRecord?, ReadOnlyMemory<byte>?) found = (null, null);
        foreach (var line in AuditLog.SplitLines(log.ReadAllSegments(), out _))
        {
            if (AuditChain.TryParse(line.Span, out _) is { Outcome: "started" } record && record.Sandbox == id)
            {
                found = (record, line);
            }
        }

        return found;
    }
}
