using System.CommandLine;
using Sandbox.Cli.Commands;

namespace Sandbox.Cli;

/// <summary>The command tree. Each verb lives in Commands/ and only maps flags to library calls.</summary>
internal static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("sandbox: run workloads in a hardened container or a microVM, chosen by policy");
        root.Options.Add(GlobalOptions.Root);
        root.Options.Add(GlobalOptions.Json);
        root.Subcommands.Add(RunCommand.Build());
        root.Subcommands.Add(PsCommand.Build());
        root.Subcommands.Add(LogsCommand.Build());
        root.Subcommands.Add(StopCommand.Build());
        root.Subcommands.Add(KillCommand.Build());
        root.Subcommands.Add(WaitCommand.Build());
        root.Subcommands.Add(RmCommand.Build());
        root.Subcommands.Add(InspectCommand.Build());
        root.Subcommands.Add(ExecCommand.Build());
        root.Subcommands.Add(CpCommand.Build());
        root.Subcommands.Add(AnalyzeCommand.Build());
        root.Subcommands.Add(DoctorCommand.Build());
        root.Subcommands.Add(ImageCommand.Build());
        root.Subcommands.Add(VolumeCommand.Build());
        root.Subcommands.Add(PolicyCommand.Build());
        root.Subcommands.Add(AuditCommand.Build());
        root.Subcommands.Add(ProfileCommand.Build());
        root.Subcommands.Add(KernelCommand.Build());
        return root;
    }
}
