namespace Sandbox.Tests.Support;

/// <summary>
/// An assembly fixture (Usings.cs): disposed once after every test, it fails the run (xunit reports a
/// "Test Assembly Cleanup Failure") if any of the suite's state roots left something on the host.
/// </summary>
public sealed class HostLeftAsFound : IDisposable
{
    public void Dispose()
    {
        IReadOnlyList<string> leaks = StateRootJanitor.AllLeaks();
        if (leaks.Count > 0)
        {
            throw new InvalidOperationException(
                $"the test suite left {leaks.Count} thing(s) of its state roots on the host:\n  " + string.Join("\n  ", leaks));
        }
    }
}
