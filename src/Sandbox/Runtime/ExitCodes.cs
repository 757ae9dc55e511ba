namespace Sandbox.Runtime;

/// <summary>The exit-code contract shared with docker and podman.</summary>
public static class ExitCodes
{
    /// <summary>The sandbox itself failed: bad flag, refused by policy, invalid image, engine error.</summary>
    public const int SandboxFailed = 125;

    /// <summary>The command was found but cannot be invoked.</summary>
    public const int CannotInvoke = 126;

    /// <summary>The command was not found.</summary>
    public const int NotFound = 127;

    /// <summary>A workload killed by signal N exits 128+N.</summary>
    public static int FromSignal(int signal) => 128 + signal;
}
