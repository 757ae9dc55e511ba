namespace Sandbox.Profiles;

/// <summary>A condition on one syscall argument (register value; seccomp cannot read memory).</summary>
/// <param name="Arg">Argument index, 0 to 5.</param>
public abstract record ArgCondition(int Arg);
