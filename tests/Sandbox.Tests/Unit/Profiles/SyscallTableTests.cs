using Sandbox.Profiles;

namespace Sandbox.Tests.Unit.Profiles;

public class SyscallTableTests
{
    [Theory]
    [InlineData("read", 0)]
    [InlineData("write", 1)]
    [InlineData("clone", 56)]
    [InlineData("io_uring_setup", 425)]
    [InlineData("clone3", 435)]
    public void Known_syscalls_have_their_x86_64_numbers(string name, int expected)
    {
        Assert.True(SyscallTable.TryGetNumber(name, out int nr));
        Assert.Equal(expected, nr);
    }

    [Theory]
    [InlineData("fstat64")]
    [InlineData("socketcall")]
    [InlineData("READ")]
    [InlineData("")]
    public void Names_from_other_architectures_or_wrong_case_are_unknown(string name)
    {
        Assert.False(SyscallTable.TryGetNumber(name, out _));
    }

    [Fact]
    public void Names_are_unique_and_ordered_by_number()
    {
        string[] names = [.. SyscallTable.Names];
        Assert.True(names.Length > 300);
        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        int[] numbers = [.. names.Select(n => SyscallTable.TryGetNumber(n, out int nr) ? nr : -1)];
        Assert.Equal(numbers.Order(), numbers);
    }
}
