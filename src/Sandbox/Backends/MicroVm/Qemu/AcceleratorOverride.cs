using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Qemu;

/// <summary>
/// SANDBOX_ACCELERATOR=kvm|tcg: a test and diagnostic override of the timed probe. It only chooses
/// how QEMU executes the guest; the VMM jail, the guest and the policy decision are the same either
/// way (KVM adds only the jail's own /dev/kvm node). A forced choice is never silent: the launcher
/// says so on stderr and the audit record's accelerator names the override.
/// </summary>
public static class AcceleratorOverride
{
    public const string Variable = "SANDBOX_ACCELERATOR";

    /// <summary>The forced accelerator, or null when the variable is unset or empty. Anything else is an error, not ignored.</summary>
    public static Accelerator? Parse(string? value) => value switch
    {
        null or "" => null,
        "kvm" => Accelerator.Kvm,
        "tcg" => Accelerator.Tcg,
        _ => throw new SandboxException(ErrorKind.InvalidArgument,
            $"{Variable}={value} is not an accelerator", $"use {Variable}=kvm or {Variable}=tcg, or unset it to let the host probe decide"),
    };

    /// <summary>
    /// An environment variable never loosens a decision: emulation the policy refused stays refused,
    /// whether the variable forces it or the host changed since the policy looked.
    /// </summary>
    public static void Recheck(Accelerator accel, bool forced, bool allowEmulation, string decidedBy)
    {
        if (accel == Accelerator.Tcg && !allowEmulation)
        {
            throw new SandboxException(ErrorKind.Refused,
                forced
                    ? $"refused: {Variable}=tcg forces emulation, which {decidedBy} does not allow (allowEmulation is false)"
                    : $"refused: the microVM would run under emulation, which {decidedBy} does not allow (allowEmulation is false)",
                forced ? $"unset {Variable}: an environment variable never loosens a policy decision" : "give the host hardware virtualization (/dev/kvm)");
        }
    }

    public static string Notice(Accelerator forced) =>
        $"sandbox: {Variable}={Name(forced)} forces the microVM accelerator (the host probe was not consulted)\n";

    public static string Name(Accelerator a) => a == Accelerator.Kvm ? "kvm" : "tcg";
}
