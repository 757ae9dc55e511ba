using System.CommandLine;
using Sandbox.Cli;
using Sandbox.Runtime;

try
{
    Sandbox.Telemetry.PhaseTrace.StartClock();
    args = Supervision.Enter(RawArguments.Read(args)); // the bytes the user gave, where they are not UTF-8; `supervise ID` stripped
    RootCommand root = CliApp.Build();
    ErrorReporter.Json = SeparatorInserter.AsksForJson(root, args); // before parsing: parse errors are JSON too
    (string[] parsed, WorkloadCommandLine.Arguments) = SeparatorInserter.Split(root, args);
    ParseResult result = root.Parse(parsed);
    if (result.Errors.Count > 0)
    {
        return ErrorReporter.Report([.. result.Errors.Select(e => ParseErrorText.Plain(e.Message))], "sandbox --help, or sandbox COMMAND --help");
    }

    using var telemetry = Telemetry.FromEnvironment();

    // The launcher forwards signals to the workload itself; System.CommandLine must not cancel on them.
    return await result.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (SandboxException e)
{
    return ErrorReporter.Report(e);
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    return ErrorReporter.Unexpected(e);
}
