using System.CommandLine;
using Sandbox.Lifecycle;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Cli.Commands;

/// <summary>
/// `sandbox logs [-f] [--tail N] [--timestamps] [--no-notices] SANDBOX`: the workload's output, each
/// stream to its own, and the sandbox's own notices to stderr (as a foreground run prints them).
/// </summary>
internal static class LogsCommand
{
    public static Command Build()
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output until the sandbox exits" };
        var tail = new Option<int?>("--tail", "-n") { Description = "Only the last N records" };
        var timestamps = new Option<bool>("--timestamps") { Description = "Prefix each record with its time (UTC)" };
        var noNotices = new Option<bool>("--no-notices") { Description = "Only what the workload wrote: leave out the sandbox's own notices (emulation, timeout, signal)" };
        var name = new Argument<string>("SANDBOX") { Description = "Sandbox ID or name" };
        var command = new Command("logs", "Print a detached sandbox's output") { follow, tail, timestamps, noNotices, name };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            if (r.GetValue(tail) is < 0)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"--tail: {r.GetValue(tail)} is negative", "give a number of records, e.g. --tail 10");
            }

            using var sandboxes = new DetachedSandboxes(GlobalOptions.StateRootFrom(r));
            await sandboxes.ReconcileAsync().ConfigureAwait(false);
            var row = sandboxes.Require(r.GetValue(name)!);
            string log = sandboxes.PathsOf(row.Id).Log;
            using var stdout = Console.OpenStandardOutput();
            using var stderr = Console.OpenStandardError();
            Func<LogRecord, bool> shown = r.GetValue(noNotices) ? record => record.Stream != JsonFileLog.NoticeStream : _ => true;
            var records = JsonFileLog.Read(log).Where(shown).ToList();
            int skip = r.GetValue(tail) is { } n ? Math.Max(0, records.Count - n) : 0;
            foreach (var record in records.Skip(skip))
            {
                Write(record, r.GetValue(timestamps), stdout, stderr);
            }

            if (r.GetValue(follow))
            {
                await FollowAsync(sandboxes, row.Id, log, shown, records.Count, record => Write(record, r.GetValue(timestamps), stdout, stderr), ct).ConfigureAwait(false);
            }

            return 0;
        }));
        return command;
    }

    // Re-reads past what was printed until the sandbox has exited (then once more for its last output).
    private static async Task FollowAsync(DetachedSandboxes sandboxes, string id, string log, Func<LogRecord, bool> shown, int printed, Action<LogRecord> write, CancellationToken ct)
    {
        while (true)
        {
            await sandboxes.ReconcileAsync().ConfigureAwait(false);
            bool exited = sandboxes.Store.Find(id) is not { Status: not SandboxStatus.Exited };
            var records = JsonFileLog.Read(log).Where(shown).ToList();
            if (records.Count < printed)
            {
                printed = 0; // rotated past what was printed: show the rest of what is kept
            }

            foreach (var record in records.Skip(printed))
            {
                write(record);
            }

            printed = records.Count;
            if (exited)
            {
                return;
            }

            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    private static void Write(LogRecord record, bool timestamps, Stream stdout, Stream stderr)
    {
        var sink = record.Stream is "stderr" or JsonFileLog.NoticeStream ? stderr : stdout;
        if (timestamps)
        {
            sink.Write(System.Text.Encoding.UTF8.GetBytes(record.Time + " "));
        }

        sink.Write(record.Bytes);
        sink.Flush();
    }
}
