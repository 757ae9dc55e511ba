using System.Text.Json;
using System.Text.Json.Serialization;
using Sandbox.Backends;
using Sandbox.Runtime;

namespace Sandbox.Lifecycle.Exec;

/// <summary>
/// An exec request on a supervisor's control socket (root only): "exec LENGTH STDIN" then LENGTH bytes
/// of this JSON and STDIN bytes of input; while it runs, "signal N" lines for the exec'd process. The
/// reply is "exit CODE OUT ERR" then OUT and ERR bytes, or "error KIND MESSAGE" (KIND an
/// <see cref="ErrorKind"/> name) and, when there is one, "hint HINT".
/// </summary>
public sealed record ExecWire(IReadOnlyList<string> Command, IReadOnlyList<string> Env, string? Cwd, uint? Uid, uint? Gid)
{
    /// <summary>The most request JSON and the most input a supervisor takes for one exec.</summary>
    public const int MaxJson = 1 << 20;

    public const int MaxStdin = 16 << 20;

    public static ExecWire From(ExecRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Command, r.Env, r.Cwd, r.User?.Uid, r.User?.Gid);
    }

    public ExecRequest ToRequest() =>
        new(Command, Env, Cwd, Uid is { } u && Gid is { } g ? (u, g) : null, Interactive: true, Tty: false);

    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, ExecWireJsonContext.Default.ExecWire);

    public static ExecWire Parse(byte[] json) =>
        JsonSerializer.Deserialize(json, ExecWireJsonContext.Default.ExecWire) is { Command.Count: > 0 } w ? w
            : throw new SandboxException(ErrorKind.InvalidArgument, "exec: the request names no command");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ExecWire))]
internal sealed partial class ExecWireJsonContext : JsonSerializerContext;
