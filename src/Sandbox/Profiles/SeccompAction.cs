namespace Sandbox.Profiles;

/// <summary>What the kernel does with a matching syscall. YAML spells these in kebab-case.</summary>
public enum SeccompAction
{
    /// <summary>Run the syscall.</summary>
    Allow,
    /// <summary>Fail the syscall with an errno, without running it.</summary>
    Errno,
    /// <summary>Kill the whole process (SIGSYS, uncatchable).</summary>
    KillProcess,
    /// <summary>Kill only the calling thread; the default action only.</summary>
    KillThread,
    /// <summary>Deliver a catchable SIGSYS.</summary>
    Trap,
    /// <summary>Run the syscall and log it (audit); useful while writing a profile.</summary>
    Log,
}
