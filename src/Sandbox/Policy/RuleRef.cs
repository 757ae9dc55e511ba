namespace Sandbox.Policy;

/// <summary>Names a policy rule and where it is written, so every decision and refusal can point at it.</summary>
public sealed record RuleRef(string Name, string File, int Line)
{
    /// <summary>"file:line", like a compiler.</summary>
    public string Location => $"{File}:{Line}";

    public override string ToString() => $"rule '{Name}' ({Location})";
}
