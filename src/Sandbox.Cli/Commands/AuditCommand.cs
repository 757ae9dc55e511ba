using System.CommandLine;
using System.Globalization;
using System.Text;
using Sandbox.Audit;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox audit ls | show ID | verify`.</summary>
internal static class AuditCommand
{
    public static Command Build()
    {
        var command = new Command("audit", "Read and verify the tamper-evident audit log of runs and refusals");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Verify());
        return command;
    }

    private static Command List()
    {
        var command = new Command("ls", "List audit records, oldest first");
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            var records = Records(r, out int invalid);
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
            var records = Records(r, out _);
            AuditRecord record = records.FirstOrDefault(x => x.Seq.ToString(CultureInfo.InvariantCulture) == wanted || x.Sandbox == wanted)
                ?? throw new SandboxException(ErrorKind.InvalidArgument, $"audit record '{wanted}' not found", "sandbox audit ls lists the records");
            Console.Out.Write(r.GetValue(GlobalOptions.Json) ? AuditView.Json(record) : AuditView.Detail(record));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Verify()
    {
        var command = new Command("verify", "Check the hash chain; exit 0 when intact, 1 naming the first bad record");
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            var log = AuditLog.For(GlobalOptions.StateRootFrom(r));
            AuditVerification v = AuditVerifier.Verify(log.ReadAll());
            if (r.GetValue(GlobalOptions.Json))
            {
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                    new AuditVerifyJson(log.Path, v.Intact, v.Records, v.Head, v.BadRecord, v.Problem), CliJsonContext.Default.AuditVerifyJson));
                return Task.FromResult(v.Intact ? 0 : 1);
            }

            if (v.Intact)
            {
                Console.Out.WriteLine($"{log.Path}: intact, {v.Records} record(s); head sha256 {v.Head}");
                Console.Out.WriteLine("  keep the head elsewhere: removing records from the end is only detectable against it");
                return Task.FromResult(0);
            }

            Console.Error.WriteLine($"sandbox: {log.Path}: {v.Problem}");
            Console.Error.WriteLine($"  the {v.Records} record(s) before it are intact; head of the intact part: sha256 {v.Head}");
            return Task.FromResult(1);
        }));
        return command;
    }

    private static List<AuditRecord> Records(ParseResult r, out int invalid)
    {
        var log = AuditLog.For(GlobalOptions.StateRootFrom(r));
        var lines = AuditLog.SplitLines(log.ReadAll(), out _);
        var records = new List<AuditRecord>();
        invalid = 0;
        foreach (var line in lines)
        {
            if (AuditChain.TryParse(line.Span, out _) is { } rec)
            {
                records.Add(rec);
            }
            else
            {
                invalid++;
            }
        }

        return records;
    }
}
