using System.Globalization;

namespace Sandbox.Backends.MicroVm.Guest;

/// <summary>What guest init says on the control port: "ready" once the workload's root is built, then "exit N".</summary>
public abstract record ControlMessage
{
    public sealed record Ready : ControlMessage;

    public sealed record Exited(int Code) : ControlMessage;

    /// <summary>Null for anything else (ignored, never trusted as an exit status).</summary>
    public static ControlMessage? Parse(string line)
    {
        string t = line.Trim();
        if (t == "ready")
        {
            return new Ready();
        }

        return t.StartsWith("exit ", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int code) && code is >= 0 and <= 255
            ? new Exited(code)
            : null;
    }
}
