using Sandbox.Lifecycle;

namespace Sandbox.Tests.Unit.Lifecycle;

public sealed class SupervisorLockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("suplock-").FullName;

    [Fact]
    public void The_lock_is_held_while_its_holder_lives_and_free_once_released()
    {
        string path = Path.Combine(_dir, "supervisor.lock");
        Assert.False(SupervisorLock.IsHeld(path)); // no file: no supervisor
        using (var held = SupervisorLock.TryTake(path))
        {
            Assert.NotNull(held);
            Assert.True(SupervisorLock.IsHeld(path));
            Assert.Null(SupervisorLock.TryTake(path)); // a second supervisor is refused
        }

        Assert.False(SupervisorLock.IsHeld(path));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
