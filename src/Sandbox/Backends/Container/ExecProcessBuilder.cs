using System.Text.Json;

namespace Sandbox.Backends.Container;

/// <summary>
/// The process.json of `runtime exec`: the sandbox's applied process (read back from its config.json)
/// with only the command, environment additions, directory, user and terminal changed. Capabilities
/// (none), no_new_privs, rlimits and the OOM score stay exactly as applied; the runtime applies the
/// container's own seccomp filter, namespaces (user namespace included), cgroup and read-only root to
/// every exec'd process. Pure: snapshot-tested.
/// </summary>
public static class ExecProcessBuilder
{
    public static OciProcess Build(OciProcess applied, ExecRequest request)
    {
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(request);
        var user = request.User is var (uid, gid) ? new OciUser(uid, gid, [gid]) : applied.User;
        return applied with
        {
            Terminal = request.Tty,
            ConsoleSize = request.Tty && request.TerminalSize is { } t ? new OciConsoleSize(t.Rows, t.Columns) : null,
            Args = request.Command,
            Env = Merge(request.Tty ? Runtime.EnvironmentBuilder.WithTerminal(applied.Env) : applied.Env, request.Env),
            Cwd = request.Cwd ?? applied.Cwd,
            User = user,
        };
    }

    /// <summary>The workload's environment with each K=V of <paramref name="additions"/> replacing K (docker exec -e).</summary>
    public static IReadOnlyList<string> Merge(IReadOnlyList<string> env, IReadOnlyList<string> additions)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(additions);
        var result = env.ToList();
        foreach (string entry in additions)
        {
            string key = entry.Split('=', 2)[0];
            int at = result.FindIndex(e => e.Split('=', 2)[0] == key);
            if (at >= 0)
            {
                result[at] = entry;
            }
            else
            {
                result.Add(entry);
            }
        }

        return result;
    }

    /// <summary>The process the sandbox's runtime was given, from its rendered config.json.</summary>
    public static OciProcess AppliedProcess(byte[] configJson) =>
        JsonSerializer.Deserialize(configJson, OciJsonContext.Default.OciSpec)?.Process
            ?? throw new JsonException("config.json has no process");

    public static byte[] ToUtf8Json(OciProcess process) => JsonSerializer.SerializeToUtf8Bytes(process, OciJsonContext.Default.OciProcess);

    /// <summary>The same JSON on one line of ASCII (non-ASCII escaped): how guest init reads it off its control port.</summary>
    public static byte[] ToAsciiLine(OciProcess process)
    {
        using var doc = JsonDocument.Parse(ToUtf8Json(process));
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default }))
        {
            doc.WriteTo(writer);
        }

        return buffer.ToArray();
    }
}
