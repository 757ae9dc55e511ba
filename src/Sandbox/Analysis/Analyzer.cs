using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sandbox.Analysis.Sinkhole;
using Sandbox.Host;
using Sandbox.Host.Mounts;
using Sandbox.Policy;
using Sandbox.Runtime;

namespace Sandbox.Analysis;

/// <summary>What `sandbox analyze` prints when it is done.</summary>
public sealed record AnalysisSummary(string OutDir, string Verdict, string ReportSha256);

/// <summary>
/// `sandbox analyze FILE`: checks the sample, runs it once in the microVM through the launcher
/// (policy, audit, the guest collector), and writes the output directory: report.json,
/// report.html, stdout, stderr and dropped/. The directory is assembled under a temporary name
/// and renamed into place only when the report is complete: a failure leaves nothing half-written.
/// </summary>
public sealed class Analyzer(Launcher launcher)
{
    /// <param name="notices">The launcher's own notices (emulation, the timeout): never mixed into the sample's stderr file.</param>
    public async Task<AnalysisSummary> RunAsync(AnalyzeRequest a, Stream notices, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        switch (a.Network)
        {
            case "none" or "sinkhole":
                break;
            default:
                throw new SandboxException(ErrorKind.InvalidArgument, $"--network: '{Printable.Escape(a.Network)}' is not valid", "use none or sinkhole");
        }

        if (a.Timeout <= TimeSpan.Zero)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, "--timeout must be positive");
        }

        SampleFile sample = SampleFile.Inspect(a.File);
        // The launcher checks the interpreter (PT_INTERP or #!) against the image: busybox has /bin/sh.
        string image = a.Image ?? "busybox";
        string outDir = Path.GetFullPath(a.OutDir ?? $"analysis-{sample.Sha256[..12]}");
        if (Directory.Exists(outDir) || File.Exists(outDir) || new FileInfo(outDir).LinkTarget is not null)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"--out: '{Printable.Escape(outDir)}' already exists",
                "give a directory that does not exist yet; analyze never writes into an existing one");
        }

        string parent = Path.GetDirectoryName(outDir) ?? "/";
        if (!Directory.Exists(parent))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"--out: the directory '{Printable.Escape(parent)}' does not exist");
        }

        string partial = Path.Combine(parent, $".{Path.GetFileName(outDir)}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string? verdict = null, digest = null;
        try
        {
            string dropped = Directory.CreateDirectory(Path.Combine(partial, "dropped"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute).FullName;
            var request = new RunRequest
            {
                Image = image,
                Command = [$"{Launcher.SampleMount}/{sample.Name}", .. a.Arguments],
                Trust = TrustLevel.Untrusted,
                Backend = BackendKind.MicroVm,
                Timeout = a.Timeout,
                Kernel = a.Kernel,
                PolicyFile = a.PolicyFile,
                MemoryBytes = a.MemoryBytes,
                Network = "none",
            };
            using var stdout = new CappedOutputStream(Path.Combine(partial, "stdout"), a.OutputCap);
            using var stderr = new CappedOutputStream(Path.Combine(partial, "stderr"), a.OutputCap);
            var clock = Stopwatch.StartNew();
            var started = DateTime.UtcNow;
            await launcher.AnalyzeAsync(request, sample, new WorkloadIo(null, stdout, stderr, ForwardSignals: true) { Notices = notices }, run =>
            {
                stdout.Flush();
                stderr.Flush();
                var report = Build(sample, a, run, dropped, stdout, stderr, clock.Elapsed, started);
                byte[] json = JsonSerializer.SerializeToUtf8Bytes(report, AnalysisJsonContext.Default.AnalysisReport);
                File.WriteAllBytes(Path.Combine(partial, "report.json"), json);
                File.WriteAllText(Path.Combine(partial, "report.html"), ReportHtml.Render(report));
                verdict = report.Verdict;
                digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(json));
                return Task.FromResult(digest);
            }, sinkhole: a.Network == "sinkhole", ct).ConfigureAwait(false);
            Directory.Move(partial, outDir);
            File.SetUnixFileMode(outDir, (UnixFileMode)0b111_101_101);
            return new AnalysisSummary(outDir, verdict!, digest!);
        }
        catch
        {
            SafeRemove.Directory(partial);
            throw;
        }
    }

    /// <summary>Assembles the report from the collector's tar and the run's result.</summary>
    public static AnalysisReport Build(
        SampleFile sample, AnalyzeRequest a, AnalysisRun run, string dropped, CappedOutputStream stdout, CappedOutputStream stderr, TimeSpan hostWall, DateTime startedUtc)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        string guestPath = $"{Launcher.SampleMount}/{sample.Name}";
        var collection = CollectorArchive.Read(run.CollectorTar, run.Image.RootfsPath, dropped, new HashSet<string>(StringComparer.Ordinal) { Launcher.SampleMount });
        var (mainTrace, unparsed) = TraceParser.Parse(collection.Trace);
        var (opens, unparsedOpens) = TraceParser.Parse(collection.Opens);
        // One timeline from both buffers (the same clock); OrderBy is stable, so each keeps its own order at equal times.
        var events = mainTrace.Concat(opens).OrderBy(e => e.Time).ToList();
        unparsed += unparsedOpens;
        var (names, unparsedNames) = TraceParser.Parse(collection.Names);
        // A line there that does not parse is a name whose newline forged a line: then no name is trusted.
        bool namesTrusted = unparsedNames == 0 && names.All(Behaviour.IsWholeExecName);
        var behaviour = Behaviour.From(events, guestPath, run.Uid, namesTrusted ? names : null);
        var root = behaviour.Processes.FirstOrDefault(p => p.ParentPid is null);

        int code = run.Result.ExitCode;
        string status;
        int? exit = null, signal = null;
        if (run.Result.TimedOut)
        {
            status = "timeout";
            signal = 9;
        }
        else if (root?.ExitCode is { } c)
        {
            (status, exit) = ("exited", c);
        }
        else if (root?.Signal is { } s)
        {
            (status, signal) = ("killed", s);
        }
        else
        {
            (status, exit, signal) = code > 128 ? ("killed", (int?)null, (int?)(code - 128)) : ("exited", code, null);
        }

        double? traced = root is { EndSeconds: { } end } ? end : null;
        double wall = Math.Round(traced ?? hostWall.TotalSeconds, 6);
        var cg = collection.Cgroup;
        var resources = new ReportResources(
            Long(cg.GetValueOrDefault("memory.peak")),
            Stat(cg.GetValueOrDefault("cpu.stat"), "user_usec") / 1e6,
            Stat(cg.GetValueOrDefault("cpu.stat"), "system_usec") / 1e6,
            behaviour.Processes.Count, behaviour.ProcessesPeak, Long(cg.GetValueOrDefault("pids.peak")),
            collection.Files.Where(f => f.Type == "file").Sum(f => f.Size ?? 0),
            Stat(cg.GetValueOrDefault("memory.events"), "oom_kill") is > 0);
        var runInfo = new ReportRun(run.SandboxId, run.Image.Reference, run.Kernel, a.Arguments, a.Network, run.Timeout.TotalSeconds, run.Result.TimedOut,
            status, exit, signal, wall, startedUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        var missing = collection.Missing.ToList();
        if (!namesTrusted)
        {
            missing.Add("executed file names (a file name forged a line in their trace; argv is still shown)");
        }

        ReportSinkhole? sinkhole = collection.Sinkhole is { } records ? SinkholeRecords.Parse(records, behaviour.Start) : null;
        if (a.Network == "sinkhole" && sinkhole is not { Complete: true })
        {
            missing.Add(sinkhole is null ? "the sinkhole's records (the guest sent none)" : "the sinkhole's end line (records may be missing)");
        }

        if (behaviour.Start is null)
        {
            missing.Add("the sample's exec (the trace never saw it start)");
        }

        var report = new AnalysisReport
        {
            Verdict = "",
            Sample = new ReportSample(Path.GetFileName(sample.HostPath), guestPath, sample.Size, sample.Sha256, sample.Kind, sample.Elf, sample.Interpreter),
            Run = runInfo,
            Processes = behaviour.Processes,
            Files = collection.Files,
            Opens = behaviour.Opens.Entries,
            OpensDropped = behaviour.Opens.Dropped,
            Network = behaviour.Network,
            Signals = behaviour.Signals,
            Sinkhole = sinkhole,
            Denials = Denials.From(collection.Seccomp, behaviour.Processes.Select(p => p.Pid).ToHashSet()),
            Resources = resources,
            Output = new ReportOutput(
                new ReportOutputFile("stdout", stdout.Total, stdout.Kept, stdout.Total > stdout.Kept),
                new ReportOutputFile("stderr", stderr.Total, stderr.Kept, stderr.Total > stderr.Kept)),
            Collector = new ReportCollector("tracefs in the guest kernel (sched, signal and syscall tracepoints, kprobes on execve/connect/bind/sendto/do_filp_open); the overlay's upper layer",
                collection.EventsLost, missing, unparsed),
        };
        return report with { Verdict = Verdict(report) };
    }

    public static string Verdict(AnalysisReport r)
    {
        var s = new StringBuilder();
        s.Append(r.Sample.Name).Append(' ').Append(r.Run.Status switch
        {
            "timeout" => string.Create(CultureInfo.InvariantCulture, $"was still running at the {r.Run.TimeoutSeconds:0.###} s timeout (killed)"),
            _ => ReportHtml.Outcome(r.Run) + string.Create(CultureInfo.InvariantCulture, $" after {r.Run.WallSeconds:0.###} s"),
        });
        int created = r.Files.Count(f => f.Change == "created"), modified = r.Files.Count(f => f.Change == "modified"), deleted = r.Files.Count(f => f.Change == "deleted");
        int ok = r.Network.Count(n => n.Result is >= 0);
        s.Append(CultureInfo.InvariantCulture, $": {r.Processes.Count} process{(r.Processes.Count == 1 ? "" : "es")}, ")
            .Append(CultureInfo.InvariantCulture, $"files {created} created / {modified} modified / {deleted} deleted, ")
            .Append(CultureInfo.InvariantCulture, $"{r.Network.Count} network attempt{(r.Network.Count == 1 ? "" : "s")} ({ok} succeeded)");
        if (r.Network.Count(n => n.Dns is not null) is > 0 and int q)
        {
            s.Append(CultureInfo.InvariantCulture, $", {q} DNS quer{(q == 1 ? "y" : "ies")}");
        }

        if (r.Sinkhole is { } sink)
        {
            s.Append(CultureInfo.InvariantCulture, $", sinkhole: {sink.Connections.Count} TCP connection{(sink.Connections.Count == 1 ? "" : "s")}, {sink.Dns.Count} DNS question{(sink.Dns.Count == 1 ? "" : "s")} answered");
        }

        if (r.Files.Any(f => f.Setuid || f.Setgid || f.Device))
        {
            s.Append(", setuid/setgid or device files");
        }

        if (r.Denials.Syscalls.Count > 0)
        {
            int refused = r.Denials.Syscalls.Sum(d => d.Count);
            s.Append(CultureInfo.InvariantCulture, $", {refused} syscall{(refused == 1 ? "" : "s")} refused by seccomp ({string.Join(", ", r.Denials.Syscalls.Select(d => d.Syscall).Take(5))})");
        }

        if (r.Collector.EventsLost > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"; {r.Collector.EventsLost} trace events lost (incomplete)");
        }

        return s.ToString();
    }

    private static long? Long(string? text) =>
        long.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : null;

    private static long? Stat(string? text, string key) => text?.Split('\n')
        .Select(l => l.Split(' ', 2))
        .Where(p => p.Length == 2 && p[0] == key)
        .Select(p => Long(p[1]))
        .FirstOrDefault();
}
