namespace Sandbox.Runtime;

/// <summary>Why the sandbox itself (not the workload) failed. Each kind maps to an exit code.</summary>
public enum ErrorKind
{
    /// <summary>A flag or argument is malformed.</summary>
    InvalidArgument,
    /// <summary>The image is unknown or unusable.</summary>
    ImageNotFound,
    /// <summary>A seccomp/capability profile or a policy file is missing or malformed.</summary>
    InvalidProfile,
    /// <summary>Policy refused the workload, or the decided isolation is unavailable (fail closed).</summary>
    Refused,
    /// <summary>The host lacks something the sandbox needs (an engine, a kernel feature).</summary>
    HostUnsupported,
    /// <summary>The OCI runtime or VMM failed to start the workload.</summary>
    EngineFailed,
    /// <summary>The command exists but cannot be executed (exit 126).</summary>
    CommandNotExecutable,
    /// <summary>The command does not exist in the image (exit 127).</summary>
    CommandNotFound,
    /// <summary>State on disk is inconsistent or busy.</summary>
    StateConflict,
    /// <summary>The launcher failed in a way nothing mapped (a host I/O error where none was expected, a bug).</summary>
    Internal,
}

/// <summary>A failure of the sandbox, with a message that names the thing and, where useful, a hint.</summary>
public sealed class SandboxException : Exception
{
    public SandboxException(ErrorKind kind, string message, string? hint = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Hint = hint;
    }

    public ErrorKind Kind { get; }

    public string? Hint { get; }

    /// <summary>Exit code per the docker/podman contract.</summary>
    public int ExitCode => Kind switch
    {
        ErrorKind.CommandNotExecutable => ExitCodes.CannotInvoke,
        ErrorKind.CommandNotFound => ExitCodes.NotFound,
        _ => ExitCodes.SandboxFailed,
    };
}
