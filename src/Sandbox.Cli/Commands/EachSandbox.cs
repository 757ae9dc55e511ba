using Sandbox.Runtime;
using Sandbox.Telemetry;

namespace Sandbox.Cli.Commands;

/// <summary>
/// docker's way with several names (`stop a b c`, `kill`, `rm`): each is acted on, all at once (a
/// stop's grace is not paid once per name); each one done is printed as given, in the order given;
/// each failure is reported on stderr naming its sandbox and the others go on. The exit code is the
/// first failure's (125 for a missing or refused sandbox; docker says 1), 0 when all succeeded. An
/// action that returns false did nothing worth a line (docker's `rm -f` of a missing one).
/// </summary>
internal static class EachSandbox
{
    /// <param name="action">The verb, which names each one's span (sandbox.lifecycle.ACTION).</param>
    public static Task<int> ActAsync(string action, IReadOnlyList<string> names, Func<string, Task> act) =>
        ActAsync(action, names, async n =>
        {
            await act(n).ConfigureAwait(false);
            return true;
        });

    public static async Task<int> ActAsync(string action, IReadOnlyList<string> names, Func<string, Task<bool>> act)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(act);
        var acting = names.Select(n => Task.Run(() => Traced(action, n, act))).ToList();
        int exit = 0;
        for (int i = 0; i < names.Count; i++)
        {
            int code;
            try
            {
                if (await acting[i].ConfigureAwait(false))
                {
                    Console.Out.WriteLine(names[i]);
                }

                continue;
            }
            catch (SandboxException e)
            {
                code = ErrorReporter.Report(e);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                code = ErrorReporter.Unexpected(e);
            }

            exit = exit == 0 ? code : exit;
        }

        return exit;
    }

    private static async Task<bool> Traced(string action, string name, Func<string, Task<bool>> act)
    {
        using var span = LifecycleDiagnostics.StartAction(action, name);
        try
        {
            return await act(name).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LifecycleDiagnostics.Failed(span, e);
            throw;
        }
    }
}
