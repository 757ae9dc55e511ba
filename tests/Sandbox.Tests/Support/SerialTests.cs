namespace Sandbox.Tests.Support;

/// <summary>
/// Tests that assert on host-wide state (the ID lease slots in /run/sandbox/leases) and so must not
/// run beside other container tests: xunit runs this collection alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTests
{
    public const string Name = "host-wide state";
}
