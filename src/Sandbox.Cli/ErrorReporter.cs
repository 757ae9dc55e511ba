using Sandbox.Runtime;

namespace Sandbox.Cli;

/// <summary>Turns failures into one clear message on stderr and the contract's exit code.</summary>
internal static class ErrorReporter
{
    public static int Report(SandboxException e)
    {
        Console.Error.WriteLine($"sandbox: {e.Message}");
        if (e.Hint is { } hint)
        {
            Console.Error.WriteLine($"  hint: {hint}");
        }

        return e.ExitCode;
    }

    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (SandboxException e)
        {
            return Report(e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"sandbox: {e.Message}");
            return ExitCodes.SandboxFailed;
        }
    }
}
