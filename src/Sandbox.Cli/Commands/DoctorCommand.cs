using System.CommandLine;
using System.Text.Json;
using Sandbox.Host.Probes;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox doctor`: what this host can isolate with. Exit 0 when both backends can run, 1 otherwise.</summary>
internal static class DoctorCommand
{
    public static Command Build()
    {
        var command = new Command("doctor", "Report what this host can isolate with: namespaces, seccomp, cgroups, ID-mapped mounts, OCI runtimes (and their CVE status), KVM, QEMU");
        command.SetAction((result, ct) => ErrorReporter.GuardAsync(async () =>
        {
            HostReport report = await HostReport.Collect(GlobalOptions.StateRootFrom(result), ct).ConfigureAwait(false);
            Console.Out.Write(result.GetValue(GlobalOptions.Json)
                ? JsonSerializer.Serialize(report, HostJsonContext.Default.HostReport) + "\n"
                : HostReportFormatter.ToText(report));
            return HostRequirements.Missing(report).Count == 0 ? 0 : 1;
        }));
        return command;
    }
}
