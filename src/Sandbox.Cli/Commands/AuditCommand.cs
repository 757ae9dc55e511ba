using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sandbox.Audit;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox audit ls | show ID | verify | export | rotate`.</summary>
internal static class AuditCommand
{
    public static Command Build()
    {
        var command = new Command("audit", "Read and verify the tamper-evident audit log of runs and refusals");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Verify());
        command.Subcommands.Add(Export());
        command.Subcommands.Add(Rotate());
        return command;
    }

    private static Command List()
    {
        var command = new Command("ls", "List audit records, oldest first");
        var filters = new FilterOptions(command, withSelectors: true);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            AuditFilter filter = filters.From(r);
            var records = Records(r, out int invalid).Where(x => filter.Matches(x.Record)).Select(x => x.Record).ToList();
            if (r.GetValue(GlobalOptions.Json))
            {
                Console.Out.Write(AuditView.JsonArray(records));
            }
            else
            {
                Console.Out.Write(AuditView.Table(records));
                if (invalid > 0)
                {
                    Console.Error.WriteLine($"sandbox: {invalid} line(s) of the audit log are not valid records; run sandbox audit verify");
                }
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("ID") { Description = "Record number (from audit ls) or sandbox ID (sb-...)" };
        var command = new Command("show", "Show one audit record in full");
        command.Arguments.Add(id);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            string wanted = r.GetValue(id)!;
            var records = Records(r, out _).Select(x => x.Record);
            AuditRecord record = records.FirstOrDefault(x => x.Seq.ToString(CultureInfo.InvariantCulture) == wanted || x.Sandbox == wanted)
                ?? throw new SandboxException(ErrorKind.InvalidArgument, $"audit record '{wanted}' not found", "sandbox audit ls lists the records");
            Console.Out.Write(r.GetValue(GlobalOptions.Json) ? AuditView.Json(record) : AuditView.Detail(record));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Verify()
    {
        var key = new Option<string?>("--key") { HelpName = "FILE", Description = $"Audit key file: check every record's HMAC (default: ${AuditKey.EnvironmentVariable}, else {AuditKey.DefaultPath} when it exists)" };
        var head = new Option<string?>("--head") { HelpName = "SHA256", Description = "A head kept elsewhere (from an earlier verify): it must still be in the chain" };
        var since = new Option<string?>("--since-head") { HelpName = "SHA256", Description = "Check only the records after this remembered head (older segments archived)" };
        var command = new Command("verify", "Check the hash chain (all segments); exit 0 when intact, 1 naming the first bad record");
        command.Options.Add(key);
        command.Options.Add(head);
        command.Options.Add(since);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            StateRoot root = GlobalOptions.StateRootFrom(r);
            var log = AuditLog.For(root);
            var options = new VerifyOptions(AuditKey.Resolve(root, r.GetValue(key)), Sha(r.GetValue(head), "--head"), Sha(r.GetValue(since), "--since-head"));
            AuditVerification v = AuditVerifier.Verify(log.ReadAllSegments(), options);
            if (r.GetValue(GlobalOptions.Json))
            {
                Console.Out.Write(JsonSerializer.Serialize(v, AuditCliJsonContext.Default.AuditVerification) + "\n");
                return Task.FromResult(v.Intact ? 0 : 1);
            }

            string what = $"{log.Path}{(log.Segments().Count > 0 ? $" (+{log.Segments().Count} segment(s))" : "")}";
            string keyed = options.Key is { } k ? $"; every MAC checked with {k.Path}" : $"; MACs not checked (no --key, ${AuditKey.EnvironmentVariable} or {AuditKey.DefaultPath})";
            if (v.Intact)
            {
                string from = v.StartedAfter > 0 ? $" after record {v.StartedAfter}" : "";
                Console.Out.WriteLine($"{what}: intact, {v.Records} record(s){from}{keyed}; head sha256 {v.Head}");
                if (v.HeadRecord is { } at)
                {
                    Console.Out.WriteLine($"  the remembered head is record {at}; the chain after it is intact");
                }

                Console.Out.WriteLine("  keep the head elsewhere: removing records from the end, or rebuilding an unkeyed chain, is only detectable against it");
                return Task.FromResult(0);
            }

            Console.Error.WriteLine($"sandbox: {what}: {v.Problem}");
            Console.Error.WriteLine($"  the {v.Records} record(s) before it are intact{keyed}; head of the intact part: sha256 {v.Head}");
            return Task.FromResult(1);
        }));
        return command;
    }

    private static Command Export()
    {
        var format = new Option<string>("--format") { Description = "jsonl (the stored lines) or otlp (an OTLP/JSON logs request)", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl", "otlp");
        var command = new Command("export", "Write audit records for a SIEM to stdout, oldest first");
        command.Options.Add(format);
        var filters = new FilterOptions(command, withSelectors: false);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            AuditFilter filter = filters.From(r);
            var selected = Records(r, out _).Where(x => filter.Matches(x.Record)).ToList();
            byte[] output = r.GetValue(format) == "otlp"
                ? AuditExport.Otlp(selected, Environment.MachineName)
                : AuditExport.JsonLines(selected.Select(x => x.Line));
            using Stream stdout = Console.OpenStandardOutput();
            stdout.Write(output);
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Rotate()
    {
        var command = new Command("rotate", "Close the log as a numbered segment; the next record chains to its head, so verification spans segments");
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            var log = AuditLog.For(GlobalOptions.StateRootFrom(r));
            var rotated = log.Rotate();
            var result = new RotationResult(rotated?.Segment, rotated?.Head, rotated?.Records ?? 0);
            if (r.GetValue(GlobalOptions.Json))
            {
                Console.Out.Write(JsonSerializer.Serialize(result, AuditCliJsonContext.Default.RotationResult) + "\n");
            }
            else if (rotated is { } x)
            {
                Console.Out.WriteLine($"{x.Segment}: closed at record {x.Records}, head sha256 {x.Head}");
                Console.Out.WriteLine($"  the next record chains to it; after archiving the segment, verify with: sandbox audit verify --since-head {x.Head}");
            }
            else
            {
                Console.Out.WriteLine($"{log.Path}: empty, nothing to rotate");
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static string? Sha(string? value, string flag) =>
        value is null || (value.Length == 64 && value.All(char.IsAsciiHexDigitLower))
            ? value
            : throw new SandboxException(ErrorKind.InvalidArgument, $"{flag} '{value}' is not a SHA-256 (64 lower-case hex digits)", "copy the head printed by sandbox audit verify");

    /// <summary>Every parsable record of every segment and the live log, with its stored line.</summary>
    internal static List<(AuditRecord Record, ReadOnlyMemory<byte> Line)> Records(ParseResult r, out int invalid)
    {
        var log = AuditLog.For(GlobalOptions.StateRootFrom(r));
        var lines = AuditLog.SplitLines(log.ReadAllSegments(), out _);
        var records = new List<(AuditRecord, ReadOnlyMemory<byte>)>();
        invalid = 0;
        foreach (var line in lines)
        {
            if (AuditChain.TryParse(line.Span, out _) is { } rec)
            {
                records.Add((rec, line));
            }
            else
            {
                invalid++;
            }
        }

        return records;
    }

    /// <summary>--since/--until for ls and export; --rule/--backend/--outcome/--image for ls.</summary>
    private sealed class FilterOptions
    {
        private readonly Option<string?> since = new("--since") { HelpName = "TIME", Description = "Only records at or after this UTC time (ISO 8601, e.g. 2026-12-01 or 2026-12-01T10:00:00Z)" };
        private readonly Option<string?> until = new("--until") { HelpName = "TIME", Description = "Only records before this UTC time" };
        private readonly Option<string?> rule = new("--rule") { HelpName = "NAME", Description = "Only records decided or refused by this rule" };
        private readonly Option<string?> backend = new("--backend") { HelpName = "BACKEND", Description = "Only records decided for this backend (container, microvm)" };
        private readonly Option<string?> outcome = new("--outcome") { HelpName = "OUTCOME", Description = "Only records with this outcome (started, exited, timeout, refused, failed)" };
        private readonly Option<string?> image = new("--image") { HelpName = "GLOB", Description = "Only records of images matching this glob" };
        private readonly bool selectors;

        public FilterOptions(Command command, bool withSelectors)
        {
            selectors = withSelectors;
            command.Options.Add(since);
            command.Options.Add(until);
            if (withSelectors)
            {
                command.Options.Add(rule);
                command.Options.Add(backend);
                command.Options.Add(outcome);
                command.Options.Add(image);
            }
        }

        public AuditFilter From(ParseResult r) => new(
            Time(r.GetValue(since), "--since"),
            Time(r.GetValue(until), "--until"),
            selectors ? r.GetValue(rule) : null,
            selectors ? r.GetValue(backend) : null,
            selectors ? r.GetValue(outcome) : null,
            selectors ? r.GetValue(image) : null);

        private static DateTimeOffset? Time(string? text, string flag) =>
            text is null ? null
            : AuditFilter.ParseTime(text) ?? throw new SandboxException(ErrorKind.InvalidArgument, $"{flag} '{text}' is not a time", "use ISO 8601 UTC: 2026-12-01 or 2026-12-01T10:00:00Z");
    }
}

/// <summary>`audit rotate --json`.</summary>
internal sealed record RotationResult(string? Segment, string? Head, long Records);
