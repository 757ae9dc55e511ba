using System.CommandLine;
using Sandbox.Cli;
using Sandbox.Runtime;

RootCommand root = CliApp.Build();
string[] normalized;
try
{
    normalized = SeparatorInserter.Insert(root, args);
}
catch (SandboxException e)
{
    return ErrorReporter.Report(e);
}

ParseResult result = root.Parse(normalized);
if (result.Errors.Count > 0)
{
    foreach (var error in result.Errors)
    {
        Console.Error.WriteLine($"sandbox: {error.Message}");
    }

    Console.Error.WriteLine("  hint: sandbox --help, or sandbox COMMAND --help");
    return ExitCodes.SandboxFailed;
}

using var telemetry = Telemetry.FromEnvironment();

// The launcher forwards signals to the workload itself; System.CommandLine must not cancel on them.
return await result.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
