using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sandbox.Lifecycle;
using Sandbox.State;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox ps [-a] [--json]`: the detached sandboxes, reconciled first (a dead supervisor's sandbox is never shown running).</summary>
internal static class PsCommand
{
    public static Command Build()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Also show exited sandboxes" };
        var command = new Command("ps", "List detached sandboxes") { all };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            using var sandboxes = new DetachedSandboxes(GlobalOptions.StateRootFrom(r));
            await sandboxes.ReconcileAsync().ConfigureAwait(false);
            var rows = sandboxes.Store.List(r.GetValue(all));
            if (r.GetValue(GlobalOptions.Json))
            {
                WriteJson(rows);
            }
            else
            {
                Console.Out.Write(LifecycleText.Table(rows));
            }

            return 0;
        }));
        return command;
    }

    private static void WriteJson(IReadOnlyList<SandboxRecord> rows)
    {
        using var stdout = Console.OpenStandardOutput();
        using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
        w.WriteStartArray();
        foreach (var row in rows)
        {
            LifecycleText.WriteRecord(w, row);
        }

        w.WriteEndArray();
        w.Flush();
        stdout.WriteByte((byte)'\n');
    }
}

/// <summary>How the lifecycle verbs show a sandbox: docker's ps columns and status words.</summary>
internal static class LifecycleText
{
    private static readonly string[] Header = ["SANDBOX ID", "NAME", "IMAGE", "BACKEND", "STATUS", "RESTARTS", "CREATED"];

    public static string Table(IReadOnlyList<SandboxRecord> rows)
    {
        var lines = new List<string[]> { Header };
        lines.AddRange(rows.Select(r => new[] { r.Id, r.Name, r.Image, r.Backend, Status(r), r.RestartCount.ToString(CultureInfo.InvariantCulture), Time(r.Created) }));
        int[] widths = [.. Enumerable.Range(0, 7).Select(i => lines.Max(l => l[i].Length))];
        return string.Concat(lines.Select(l => string.Join("   ", l.Select((c, i) => i == 6 ? c : c.PadRight(widths[i]))) + "\n"));
    }

    public static string Status(SandboxRecord r) => r.Status switch
    {
        SandboxStatus.Created => "Created",
        SandboxStatus.Running => "Up",
        SandboxStatus.Restarting => "Restarting",
        _ => r.ExitCode is { } code ? $"Exited ({code})" : "Exited (supervisor lost)",
    };

    public static string Time(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static void WriteRecord(Utf8JsonWriter w, SandboxRecord r)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Id);
        w.WriteString("name", r.Name);
        w.WriteString("image", r.Image);
        w.WriteString("backend", r.Backend);
        w.WriteString("status", r.Status.ToString().ToLowerInvariant());
        if (r.ExitCode is { } code)
        {
            w.WriteNumber("exitCode", code);
        }
        else
        {
            w.WriteNull("exitCode");
        }

        w.WriteNumber("restartCount", r.RestartCount);
        if (r.SupervisorPid is { } pid)
        {
            w.WriteNumber("supervisorPid", pid);
        }

        w.WriteString("created", Time(r.Created));
        if (r.Started is { } s)
        {
            w.WriteString("started", Time(s));
        }

        if (r.Finished is { } f)
        {
            w.WriteString("finished", Time(f));
        }

        w.WriteEndObject();
    }
}
