using System.CommandLine;
using Sandbox.Analysis;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox analyze [--image IMAGE] [--timeout 60s] [--arg A]... [--network none|sinkhole] [--out DIR] FILE`.</summary>
internal static class AnalyzeCommand
{
    public static Command Build()
    {
        var image = new Option<string?>("--image") { Description = "Image with the sample's loader or interpreter (default: busybox, for static programs)" };
        var timeout = new Option<string?>("--timeout") { Description = "How long the sample may run (default 60s); reaching it is a normal outcome" };
        var args = new Option<string[]>("--arg") { Description = "An argument for the sample (repeat for more)" };
        var network = new Option<string>("--network") { Description = "none (loopback only; attempts are listed) or sinkhole (every TCP connection and DNS question answered inside the guest, first bytes recorded)", DefaultValueFactory = _ => "none" };
        var outDir = new Option<string?>("--out") { Description = "Output directory, which must not exist (default: ./analysis-SHA256PREFIX)" };
        var kernel = new Option<string?>("--kernel") { Description = $"Guest kernel (sandbox kernel ls); {RunOptions.KernelDefault}" };
        var policy = new Option<string?>("--policy") { Description = "Policy file (default: the built-in policy)" };
        var memory = new Option<string?>("--memory") { Description = "Memory limit for the sample, e.g. 256M (default: the policy's ceiling)" };
        var outputLimit = new Option<string?>("--output-limit") { Description = "Bytes of stdout and of stderr kept (default 1M each)" };
        var file = new Argument<string>("FILE") { Description = "The program or script to detonate (copied in read-only; never run on the host)" };
        var command = new Command("analyze", "Run an unknown program in the microVM and write a behaviour report (JSON and HTML)");
        foreach (Option o in new Option[] { image, timeout, args, network, outDir, kernel, policy, memory, outputLimit })
        {
            command.Options.Add(o);
        }

        command.Arguments.Add(file);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            var request = new AnalyzeRequest
            {
                File = r.GetValue(file)!,
                Image = r.GetValue(image),
                Timeout = r.GetValue(timeout) is { } t ? Quantities.ParseDuration(t, "--timeout") : AnalyzeRequest.DefaultTimeout,
                Arguments = r.GetValue(args) ?? [],
                Network = r.GetValue(network)!,
                OutDir = r.GetValue(outDir),
                Kernel = r.GetValue(kernel),
                PolicyFile = RunOptions.PolicyPath(r.GetValue(policy)),
                MemoryBytes = r.GetValue(memory) is { } m ? Quantities.ParseSize(m, "--memory") : null,
                OutputCap = r.GetValue(outputLimit) is { } l ? Quantities.ParseSize(l, "--output-limit") : AnalyzeRequest.DefaultOutputCap,
            };
            var summary = await new Analyzer(Composition.Launcher(GlobalOptions.StateRootFrom(r))).RunAsync(request, Console.OpenStandardError(), ct).ConfigureAwait(false);
            Console.Out.Write($"{Host.Printable.Escape(summary.Verdict)}\nreport: {summary.OutDir}/report.html (report.json {summary.ReportSha256})\n");
            return 0;
        }));
        return command;
    }
}
