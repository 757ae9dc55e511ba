using System.Text.Json;
using System.Text.Json.Serialization;
using Sandbox.Host;
using Sandbox.Runtime;

namespace Sandbox.Cli;

/// <summary>
/// Turns failures into one clear message on stderr and the contract's exit code: a line naming what
/// failed (and a hint), or with --json one JSON object. Whatever the launcher did not map is still
/// exit 125 with one line; its stack trace is printed only with SANDBOX_DEBUG=1.
/// </summary>
internal static class ErrorReporter
{
    /// <summary>Set once the command line is known to ask for --json: errors are JSON on stderr too.</summary>
    public static bool Json { get; set; }

    private static bool Debug => Environment.GetEnvironmentVariable("SANDBOX_DEBUG") == "1";

    public static int Report(SandboxException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string? stack = Debug ? (e.InnerException ?? e).ToString() : null;
        Write(e.Message, e.Hint, e.ExitCode, stack);
        return e.ExitCode;
    }

    /// <summary>A failure nothing mapped: still 125 and one line naming it, never the runtime's abort (134).</summary>
    public static int Unexpected(Exception e) => Report(Failures.Unmapped(e));

    /// <summary>Several messages (e.g. parse errors) with one hint and exit 125.</summary>
    public static int Report(IReadOnlyList<string> messages, string hint)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (Json)
        {
            Write(string.Join("; ", messages), hint, ExitCodes.SandboxFailed);
            return ExitCodes.SandboxFailed;
        }

        foreach (string message in messages)
        {
            Console.Error.WriteLine($"sandbox: {message}");
        }

        Console.Error.WriteLine($"  hint: {hint}");
        return ExitCodes.SandboxFailed;
    }

    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (SandboxException e)
        {
            return Report(e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Unexpected(e);
        }
    }

    private static void Write(string message, string? hint, int exitCode, string? stack = null)
    {
        // A message may quote an argument that is not UTF-8: its bytes show as U+FFFD (JSON holds only text).
        message = ByteString.Display(message);
        hint = hint is null ? null : ByteString.Display(hint);
        if (Json)
        {
            Console.Error.WriteLine(JsonSerializer.Serialize(new ErrorJson(message, hint, exitCode, stack), ErrorJsonContext.Readable.ErrorJson));
            return;
        }

        Console.Error.WriteLine($"sandbox: {message}");
        if (hint is not null)
        {
            Console.Error.WriteLine($"  hint: {hint}");
        }

        if (stack is not null)
        {
            Console.Error.WriteLine(stack);
        }
    }
}

/// <summary>An error as --json prints it on stderr (the stack trace only with SANDBOX_DEBUG=1).</summary>
internal sealed record ErrorJson(
    string Error,
    string? Hint,
    int ExitCode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Stack);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ErrorJson))]
internal sealed partial class ErrorJsonContext : JsonSerializerContext
{
    /// <summary>Quotes and non-ASCII stay as they are (still valid JSON): messages quote paths.</summary>
    public static ErrorJsonContext Readable { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
