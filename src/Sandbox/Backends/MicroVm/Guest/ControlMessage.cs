using System.Globalization;

namespace Sandbox.Backends.MicroVm.Guest;

/// <summary>
/// What guest init says on the control port: "ready" once the workload's root is built, then
/// "exit N OUT ERR" (N the exit status, OUT and ERR the bytes it forwarded to the stdout and stderr
/// ports; "exit N" alone when it could not count them). The host answers <see cref="PowerOff"/>.
/// </summary>
public abstract record ControlMessage
{
    /// <summary>The host's reply to an exit report, once it has received the output the guest counted.</summary>
    public const string PowerOff = "poweroff\n";

    public sealed record Ready : ControlMessage;

    /// <param name="Stdout">Bytes the guest forwarded to the stdout port; null when unknown.</param>
    /// <param name="Stderr">Bytes the guest forwarded to the stderr port; null when unknown.</param>
    public sealed record Exited(int Code, long? Stdout = null, long? Stderr = null) : ControlMessage;

    /// <summary>Null for anything else (ignored, never trusted as an exit status).</summary>
    public static ControlMessage? Parse(string line)
    {
        string t = line.Trim();
        if (t == "ready")
        {
            return new Ready();
        }

        if (!t.StartsWith("exit ", StringComparison.Ordinal))
        {
            return null;
        }

        string[] f = t[5..].Split(' ');
        if (!int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int code) || code is < 0 or > 255)
        {
            return null;
        }

        return f.Length switch
        {
            1 => new Exited(code),
            3 when long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long o)
                && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out long e) => new Exited(code, o, e),
            _ => null,
        };
    }
}
