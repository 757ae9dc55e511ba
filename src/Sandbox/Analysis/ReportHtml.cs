using System.Globalization;
using System.Net;
using System.Text;

namespace Sandbox.Analysis;

/// <summary>
/// report.html: one self-contained page (inline style, no script, no external asset; a CSP forbids
/// both) that an analyst opens in a browser. Every string that came from the sample (paths, argv,
/// DNS names, link targets) goes through <see cref="Text"/>: control characters become visible
/// escapes and markup characters entities, so nothing the sample wrote becomes markup. Pure.
/// </summary>
public static class ReportHtml
{
    public static string Render(AnalysisReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'\">\n")
            .Append("<title>sandbox analyze: ").Append(Text(r.Sample.Name)).Append("</title>\n<style>")
            .Append("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}")
            .Append("td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}code{font-family:monospace;white-space:pre-wrap;word-break:break-all}")
            .Append(".verdict{font-size:1.2em;padding:.5em;background:#fff3cd;border:1px solid #e0c96b}.fail{color:#a00}ul.tree{list-style:none}")
            .Append("</style></head><body>\n");
        h.Append("<h1>Behaviour report</h1>\n<p class=\"verdict\" id=\"verdict\">").Append(Text(r.Verdict)).Append("</p>\n");

        h.Append("<h2>Sample</h2><table id=\"sample\">");
        Row(h, "name", r.Sample.Name);
        Row(h, "sha256", r.Sample.Sha256);
        Row(h, "size", r.Sample.Size.ToString(CultureInfo.InvariantCulture));
        Row(h, "kind", r.Sample.Elf is { } e ? $"{e.Class} {e.Machine} {e.Linking}" : r.Sample.Kind);
        Row(h, "interpreter", r.Sample.Interpreter ?? "(none)");
        Row(h, "image", r.Run.Image);
        Row(h, "arguments", string.Join(" ", r.Run.Arguments));
        Row(h, "outcome", Outcome(r.Run));
        Row(h, "wall time", $"{r.Run.WallSeconds:0.###} s (timeout {r.Run.TimeoutSeconds:0.###} s{(r.Run.TimedOut ? ", reached" : "")})");
        h.Append("</table>\n");

        h.Append("<h2>Process tree</h2>\n");
        var children = r.Processes.ToLookup(p => p.ParentPid);
        var pids = r.Processes.Select(p => p.Pid).ToHashSet();
        h.Append("<ul class=\"tree\" id=\"processes\">");
        foreach (var root in r.Processes.Where(p => p.ParentPid is null || !pids.Contains(p.ParentPid.Value)))
        {
            Tree(h, root, children, 0);
        }

        h.Append("</ul>\n");

        h.Append("<h2>Timeline</h2><table id=\"timeline\"><tr><th>s</th><th>pid</th><th>event</th></tr>");
        foreach (var (at, pid, what) in Timeline(r).OrderBy(t => t.At).Take(2000))
        {
            h.Append("<tr><td>").Append(at.ToString("0.000000", CultureInfo.InvariantCulture)).Append("</td><td>")
                .Append(pid.ToString(CultureInfo.InvariantCulture)).Append("</td><td><code>").Append(Text(what)).Append("</code></td></tr>");
        }

        h.Append("</table>\n<h2>Files</h2><table id=\"files\"><tr><th>change</th><th>path</th><th>type</th><th>size</th><th>mode</th><th>sha256</th><th>flags</th></tr>");
        foreach (var f in r.Files)
        {
            h.Append("<tr><td>").Append(f.Change).Append("</td><td><code>").Append(Text(f.Path)).Append(f.LinkTarget is null ? "" : " -> " + Text(f.LinkTarget))
                .Append("</code></td><td>").Append(f.Type).Append("</td><td>").Append(f.Size?.ToString(CultureInfo.InvariantCulture) ?? "")
                .Append("</td><td>").Append(f.Mode ?? "").Append("</td><td>");
            if (f.Dropped is not null && f.Sha256 is not null)
            {
                h.Append("<a href=\"dropped/").Append(f.Sha256).Append("\">").Append(f.Sha256).Append("</a>"); // hex we computed
            }

            h.Append("</td><td class=\"fail\">").Append(f.Setuid ? "setuid " : "").Append(f.Setgid ? "setgid " : "").Append(f.Device ? "device" : "").Append("</td></tr>");
        }

        h.Append("</table>\n<h2>Files opened</h2><table id=\"opens\"><tr><th>s</th><th>pid</th><th>path</th><th>flags</th><th>result</th><th>count</th></tr>");
        foreach (var o in r.Opens)
        {
            string path = (o.DirFd is { } dfd ? $"(fd {dfd})/" : "") + o.Path + (o.PathTruncated ? "..." : "");
            h.Append(CultureInfo.InvariantCulture, $"<tr><td>{o.AtSeconds:0.000000}</td><td>{o.Pid}</td><td><code>").Append(Text(path))
                .Append("</code></td><td>").Append(o.Flags).Append("</td><td>").Append(o.Error ?? "ok")
                .Append(CultureInfo.InvariantCulture, $"</td><td>{o.Count}</td></tr>");
        }

        if (r.OpensDropped > 0)
        {
            h.Append(CultureInfo.InvariantCulture, $"<tr><td colspan=\"6\">and {r.OpensDropped} more opens, not kept</td></tr>");
        }

        h.Append("</table>\n<h2>Network</h2><table id=\"network\"><tr><th>s</th><th>pid</th><th>call</th><th>destination</th><th>result</th><th>DNS</th></tr>");
        foreach (var n in r.Network)
        {
            h.Append("<tr><td>").Append(n.AtSeconds.ToString("0.000000", CultureInfo.InvariantCulture)).Append("</td><td>").Append(n.Pid.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(n.Syscall).Append("</td><td><code>").Append(Text(Destination(n))).Append("</code></td><td>")
                .Append(Text(Result(n.Result, n.Error))).Append("</td><td><code>")
                .Append(n.Dns is { } d ? Text($"{d.Type} {d.Name}{(d.Truncated ? " (truncated)" : "")}") : "").Append("</code></td></tr>");
        }

        if (r.Sinkhole is { } sink)
        {
            Sinkhole(h, sink);
        }

        h.Append("</table>\n<h2>Signals</h2><table id=\"signals\"><tr><th>s</th><th>from</th><th>to</th><th>signal</th></tr>");
        foreach (var s in r.Signals)
        {
            h.Append(CultureInfo.InvariantCulture, $"<tr><td>{s.AtSeconds:0.000000}</td><td>{s.SenderPid}</td><td>{s.Pid}</td><td>{s.Name}{(s.Delivered ? "" : " (not delivered)")}</td></tr>");
        }

        h.Append("</table>\n<h2>Seccomp denials</h2><table id=\"denials\"><tr><th>syscall</th><th>count</th><th>first pid</th><th>action</th></tr>");
        foreach (var d in r.Denials.Syscalls)
        {
            h.Append("<tr><td>").Append(Text(d.Syscall)).Append("</td><td>").Append(d.Count.ToString(CultureInfo.InvariantCulture)).Append("</td><td>")
                .Append(d.FirstPid.ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(Text(d.Action)).Append("</td></tr>");
        }

        var res = r.Resources;
        h.Append("</table>\n<h2>Resources</h2><table id=\"resources\">");
        Row(h, "peak memory", res.MemoryPeakBytes is { } m ? $"{m} bytes" : "unknown");
        Row(h, "CPU", $"user {res.CpuUserSeconds:0.###} s, system {res.CpuSystemSeconds:0.###} s");
        Row(h, "processes", $"{res.Processes} ({res.ProcessesPeak} at once)");
        Row(h, "bytes written to files", res.BytesWrittenToFiles.ToString(CultureInfo.InvariantCulture));
        Row(h, "stdout", $"{r.Output.Stdout.Bytes} bytes{(r.Output.Stdout.Truncated ? $" (first {r.Output.Stdout.Kept} kept)" : "")}");
        Row(h, "stderr", $"{r.Output.Stderr.Bytes} bytes{(r.Output.Stderr.Truncated ? $" (first {r.Output.Stderr.Kept} kept)" : "")}");
        Row(h, "seccomp denials", r.Denials.Collected ? $"{r.Denials.Syscalls.Sum(d => d.Count)} ({r.Denials.Note})" : r.Denials.Note);
        Row(h, "collector", $"{r.Collector.Method}; events lost: {r.Collector.EventsLost}{(r.Collector.Missing.Count > 0 ? "; missing: " + string.Join(", ", r.Collector.Missing) : "")}");
        h.Append("</table>\n<p>Links to <a href=\"stdout\">stdout</a>, <a href=\"stderr\">stderr</a>, <a href=\"report.json\">report.json</a>. ")
            .Append("Dropped files are inert copies (mode 0400) named by SHA-256.</p>\n</body></html>\n");
        return h.ToString();
    }

    // --network sinkhole: what the guest's fake network received. The first bytes are already escaped
    // text (SinkholeRecords.Text) and still go through Text, like everything the sample chose.
    private static void Sinkhole(StringBuilder h, ReportSinkhole sink)
    {
        h.Append("</table>\n<h2>Sinkhole</h2><p>").Append(Text(sink.Note)).Append(sink.RecordsDropped > 0 ? $"; {sink.RecordsDropped} more not listed" : "")
            .Append("</p><table id=\"sinkhole-tcp\"><tr><th>s</th><th>destination asked</th><th>bytes</th><th>first bytes</th><th>sinkhole replied</th></tr>");
        foreach (var c in sink.Connections)
        {
            h.Append("<tr><td>").Append(c.AtSeconds?.ToString("0.000000", CultureInfo.InvariantCulture) ?? "").Append("</td><td><code>")
                .Append(Text(c.Family == "ipv6" ? $"[{c.Address}]:{c.Port}" : $"{c.Address}:{c.Port}")).Append("</code></td><td>")
                .Append(c.Bytes.ToString(CultureInfo.InvariantCulture)).Append(c.Truncated ? " (first 4096 kept)" : "").Append("</td><td><code>")
                .Append(Text(c.FirstBytesText)).Append("</code></td><td>").Append(Text(c.Reply ?? "nothing")).Append("</td></tr>");
        }

        h.Append("</table>\n<table id=\"sinkhole-dns\"><tr><th>s</th><th>server asked</th><th>question</th><th>answer</th></tr>");
        foreach (var d in sink.Dns)
        {
            h.Append("<tr><td>").Append(d.AtSeconds?.ToString("0.000000", CultureInfo.InvariantCulture) ?? "").Append("</td><td><code>")
                .Append(Text(d.Family == "ipv6" ? $"[{d.Address}]:{d.Port}" : $"{d.Address}:{d.Port}")).Append("</code></td><td><code>")
                .Append(d.Query is { } q ? Text($"{q.Type} {q.Name}{(q.Truncated ? " (truncated)" : "")}") : "(not a query)").Append("</code></td><td><code>")
                .Append(Text(d.Answered ? d.Answer ?? "(no address)" : "(not answered)")).Append("</code></td></tr>");
        }
    }

    /// <summary>Sample-controlled text as HTML: control characters and non-printing code points shown escaped (\x1b, \n), markup as entities.</summary>
    public static string Text(string s) => WebUtility.HtmlEncode(Host.Printable.Escape(s));

    public static string Outcome(ReportRun run) => run.Status switch
    {
        "exited" => $"exited {run.ExitCode}",
        "killed" => $"killed by {Behaviour.SignalName(run.Signal ?? 0)}",
        "timeout" => "still running at the timeout: killed",
        _ => "unknown (the trace lost its end)",
    };

    private static string Destination(ReportNetwork n) =>
        n.Address is null ? n.Family ?? "(connected socket)"
        : n.Family == "unix" ? $"unix {n.Address}"
        : n.Family == "ipv6" ? $"[{n.Address}]:{n.Port}" : $"{n.Address}:{n.Port}";

    private static string Result(long? result, string? error) => result is null ? "unknown" : error ?? result.Value.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<(double At, int Pid, string What)> Timeline(AnalysisReport r)
    {
        foreach (var p in r.Processes)
        {
            if (p.ParentPid is { } parent)
            {
                yield return (p.StartSeconds, parent, $"fork -> {p.Pid}");
            }

            foreach (var x in p.Execs)
            {
                yield return (x.AtSeconds, p.Pid, $"exec {x.Path} [{string.Join(", ", x.Argv)}] {Result(x.Result, x.Error)}");
            }

            if (p.EndSeconds is { } end)
            {
                yield return (end, p.Pid, p.ExitCode is { } c ? $"exit {c}" : p.Signal is { } s ? $"killed by {Behaviour.SignalName(s)}" : "exit");
            }
        }

        foreach (var n in r.Network)
        {
            yield return (n.AtSeconds, n.Pid, $"{n.Syscall} {Destination(n)} {Result(n.Result, n.Error)}");
        }

        foreach (var s in r.Signals)
        {
            yield return (s.AtSeconds, s.SenderPid, $"signal {s.Name} -> {s.Pid}");
        }
    }

    private static void Tree(StringBuilder h, ReportProcess p, ILookup<int?, ReportProcess> children, int depth)
    {
        h.Append("<li><code>").Append(p.Pid.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(Text(p.Argv.Count > 0 ? string.Join(" ", p.Argv) : p.Path ?? "(forked, no exec)")).Append("</code> ")
            .Append(p.ExitCode is { } c ? $"exit {c}" : p.Signal is { } s ? $"killed by {Behaviour.SignalName(s)}" : p.EndSeconds is null ? "running at the end" : "exited");
        var kids = children[p.Pid].ToList();
        if (kids.Count > 0 && depth < 64)
        {
            h.Append("<ul class=\"tree\">");
            foreach (var k in kids)
            {
                Tree(h, k, children, depth + 1);
            }

            h.Append("</ul>");
        }

        h.Append("</li>");
    }

    private static void Row(StringBuilder h, string key, string value) =>
        h.Append("<tr><th>").Append(key).Append("</th><td><code>").Append(Text(value)).Append("</code></td></tr>");
}
