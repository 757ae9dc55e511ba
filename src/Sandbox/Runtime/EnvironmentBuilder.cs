namespace Sandbox.Runtime;

/// <summary>Builds the workload's environment: image defaults, then sandbox basics, then -e flags.</summary>
public static class EnvironmentBuilder
{
    /// <summary>What a workload with a terminal (-t) is told it talks to, unless its image or -e says otherwise (as docker does).</summary>
    public const string TerminalType = "TERM=xterm";

    public static IReadOnlyList<string> Build(IEnumerable<string> imageEnv, uint uid, string hostname, IEnumerable<string> flags, bool terminal = false)
    {
        var env = new List<KeyValuePair<string, string>>();
        foreach (string entry in imageEnv)
        {
            Set(env, entry);
        }

        Set(env, $"HOSTNAME={hostname}");
        Set(env, uid == 0 ? "HOME=/root" : "HOME=/");
        if (terminal && !env.Exists(kv => kv.Key == "TERM"))
        {
            Set(env, TerminalType);
        }

        foreach (string flag in flags)
        {
            if (flag.Contains('=', StringComparison.Ordinal))
            {
                Set(env, flag);
            }
            else if (Inherited(flag) is { } inherited)
            {
                Set(env, $"{flag}={inherited}"); // docker's -e NAME: pass the launcher's value through
            }
        }

        return [.. env.Select(kv => $"{kv.Key}={kv.Value}")];
    }

    /// <summary>An exec's environment with a terminal: the workload's, plus <see cref="TerminalType"/> when it has no TERM.</summary>
    public static IReadOnlyList<string> WithTerminal(IReadOnlyList<string> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        return env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal)) ? env : [.. env, TerminalType];
    }

    // The launcher's own value, byte for byte: .NET's copy replaced what is not UTF-8 with U+FFFD.
    private static string? Inherited(string name)
    {
        string? value = Environment.GetEnvironmentVariable(name);
        if (value is null || !value.Contains('\uFFFD', StringComparison.Ordinal))
        {
            return value;
        }

        try
        {
            // Latin-1 maps each byte to one char and back, so splitting on NUL keeps every entry's exact bytes.
            foreach (string entry in System.Text.Encoding.Latin1.GetString(File.ReadAllBytes("/proc/self/environ")).Split('\0'))
            {
                string decoded = Host.ByteString.Decode(System.Text.Encoding.Latin1.GetBytes(entry));
                if (decoded.StartsWith(name + "=", StringComparison.Ordinal))
                {
                    return decoded[(name.Length + 1)..];
                }
            }
        }
        catch (IOException)
        {
        }

        return value;
    }

    public static void Validate(string flag)
    {
        string name = flag.Split('=', 2)[0];
        if (name.Length == 0 || name.Any(c => c == '\0' || char.IsWhiteSpace(c)) || flag.Contains('\0', StringComparison.Ordinal))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"-e: '{flag}' is not NAME=VALUE or NAME",
                "names cannot be empty or contain spaces or NUL");
        }
    }

    private static void Set(List<KeyValuePair<string, string>> env, string entry)
    {
        string[] kv = entry.Split('=', 2);
        env.RemoveAll(e => e.Key == kv[0]);
        env.Add(new(kv[0], kv.Length > 1 ? kv[1] : string.Empty));
    }
}
