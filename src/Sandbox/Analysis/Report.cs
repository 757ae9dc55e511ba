using System.Text.Json.Serialization;

namespace Sandbox.Analysis;

/// <summary>
/// report.json of `sandbox analyze` (docs/analyze.md). Everything under Processes, Files, Network
/// and Signals was observed on the trusted side of the guest; strings in them are the sample's
/// choosing and are data, never markup or commands.
/// </summary>
public sealed record AnalysisReport
{
    /// <summary>Bumped when a field changes meaning or is removed; new fields keep the version.</summary>
    public const int CurrentSchema = 1;

    public int SchemaVersion { get; init; } = CurrentSchema;

    public required string Verdict { get; init; }

    public required ReportSample Sample { get; init; }

    public required ReportRun Run { get; init; }

    public required IReadOnlyList<ReportProcess> Processes { get; init; }

    public required IReadOnlyList<ReportFile> Files { get; init; }

    /// <summary>Files the sample's processes opened (added in schema 1: new field); OpensDropped counts those beyond OpenedFiles.MaxEntries.</summary>
    public IReadOnlyList<ReportOpen> Opens { get; init; } = [];

    public int OpensDropped { get; init; }

    public required IReadOnlyList<ReportNetwork> Network { get; init; }

    public required IReadOnlyList<ReportSignal> Signals { get; init; }

    /// <summary>--network sinkhole: what the guest's fake network answered and received; null with --network none.</summary>
    public ReportSinkhole? Sinkhole { get; init; }

    public required ReportDenials Denials { get; init; }

    public required ReportResources Resources { get; init; }

    public required ReportOutput Output { get; init; }

    public required ReportCollector Collector { get; init; }
}

public sealed record ReportSample(string Name, string GuestPath, long Size, string Sha256, string Kind, ElfFacts? Elf, string? Interpreter);

/// <param name="Status">How the sample's first process ended: "exited", "killed" or "timeout"; "unknown" if the trace lost it.</param>
public sealed record ReportRun(
    string SandboxId, string Image, string Kernel, IReadOnlyList<string> Arguments, string Network, double TimeoutSeconds, bool TimedOut,
    string Status, int? ExitCode, int? Signal, double WallSeconds, string StartedUtc);

/// <param name="Argv">The first six arguments, 64 bytes each at most, as the kernel saw them at exec.</param>
/// <param name="StartSeconds">Seconds after the sample's first exec.</param>
public sealed record ReportProcess(
    int Pid, int? ParentPid, string? Path, IReadOnlyList<string> Argv, uint Uid, double StartSeconds, double? EndSeconds,
    int? ExitCode, int? Signal, IReadOnlyList<ReportExec> Execs);

/// <param name="Path">The file executed (the kernel's record of it); null when unknown.</param>
public sealed record ReportExec(double AtSeconds, string? Path, IReadOnlyList<string> Argv, bool ArgvTruncated, int Result, string? Error);

/// <param name="Change">created, modified or deleted.</param>
/// <param name="Dropped">Relative path of the copy in the output directory (dropped/SHA256), for regular files.</param>
public sealed record ReportFile(
    string Path, string Change, string Type, long? Size, string? Mode, string? Sha256, bool Setuid, bool Setgid, bool Device,
    string? LinkTarget, string? Dropped);

/// <param name="Syscall">connect, sendto, bind or listen.</param>
/// <param name="Result">The syscall's return value: 0 or a byte count on success, -errno on failure; null if the trace lost it.</param>
public sealed record ReportNetwork(
    double AtSeconds, int Pid, string Syscall, string? Family, string? Address, int? Port, long? Result, string? Error, ReportDns? Dns);

public sealed record ReportDns(int Id, string Name, string Type, bool Truncated);

/// <param name="Complete">The helper wrote its end line: no record was lost to its being stopped.</param>
/// <param name="RecordsDropped">Connections and questions beyond the helper's 1024 records: counted, not listed.</param>
/// <param name="UnparsedLines">Lines that were not a whole record (none expected: every field is a number, an address or hex).</param>
public sealed record ReportSinkhole(
    string Note, IReadOnlyList<ReportSinkholeConnection> Connections, IReadOnlyList<ReportSinkholeDns> Dns, long RecordsDropped, bool Complete, int UnparsedLines);

/// <param name="Address">The destination the sample asked for (the accepted socket's local address).</param>
/// <param name="Bytes">Bytes the sample sent on the connection; the first 4096 are kept.</param>
/// <param name="FirstBytesText">The kept bytes with everything but printable ASCII as \xNN (\n, \r, \t, \\).</param>
/// <param name="Reply">What the sinkhole sent back: its canned HTTP reply to an HTTP/1.x request, else null (nothing).</param>
public sealed record ReportSinkholeConnection(
    double? AtSeconds, string Protocol, string Family, string Address, int Port, int SourcePort, long Bytes, string FirstBytesBase64, string FirstBytesText, bool Truncated,
    string? Reply = null);

/// <param name="Address">The DNS server the sample asked (any address: all of them are the sinkhole's).</param>
/// <param name="Answer">The address answered (A, AAAA); null when the answer held none.</param>
public sealed record ReportSinkholeDns(
    double? AtSeconds, string Family, string Address, int Port, int SourcePort, ReportDns? Query, bool Answered, string? Answer, string QueryBase64);

/// <param name="Path">As the process gave it, at most its first 128 bytes (PathTruncated); relative to DirFd when that is set, else to the working directory.</param>
/// <param name="Flags">open(2) flags, e.g. O_WRONLY|O_CREAT|O_TRUNC.</param>
/// <param name="Error">null when the open succeeded, else the errno's name.</param>
/// <param name="Count">How many opens had this path, flags and outcome; AtSeconds and Pid are the first's.</param>
public sealed record ReportOpen(double AtSeconds, int Pid, string Path, bool PathTruncated, int? DirFd, string Flags, string? Error, int Count);

/// <param name="Pid">The process the signal was sent to.</param>
/// <param name="SenderPid">The process that sent it (a kernel-generated signal names the process it was raised in).</param>
public sealed record ReportSignal(double AtSeconds, int Pid, int SenderPid, int Signal, string Name, bool Delivered);

/// <param name="Syscalls">Each refused syscall: how often, and the first process refused.</param>
public sealed record ReportDenials(bool Collected, string Note, IReadOnlyList<ReportDenial> Syscalls);

/// <param name="Action">The filter's verdict: errno, kill process, kill thread, trap, log.</param>
public sealed record ReportDenial(string Syscall, int Count, int FirstPid, string Action);

public sealed record ReportResources(
    long? MemoryPeakBytes, double? CpuUserSeconds, double? CpuSystemSeconds, int Processes, int ProcessesPeak, long? PidsPeak,
    long BytesWrittenToFiles, bool OutOfMemoryKill);

public sealed record ReportOutput(ReportOutputFile Stdout, ReportOutputFile Stderr);

/// <param name="Bytes">Bytes the sample wrote; the file holds the first <paramref name="Kept"/>.</param>
public sealed record ReportOutputFile(string File, long Bytes, long Kept, bool Truncated);

/// <param name="EventsLost">Trace events the kernel dropped (buffer full): the tables may be incomplete.</param>
public sealed record ReportCollector(string Method, long EventsLost, IReadOnlyList<string> Missing, int UnparsedLines);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(AnalysisReport))]
public sealed partial class AnalysisJsonContext : JsonSerializerContext;
