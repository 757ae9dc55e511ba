namespace Sandbox.Policy;

/// <summary>How much the user trusts the workload. Untrusted is the default.</summary>
public enum TrustLevel
{
    Untrusted,
    Trusted,
}

/// <summary>The isolation kinds. The user may ask for one; policy decides.</summary>
public enum BackendKind
{
    Auto,
    Container,
    MicroVm,
}
