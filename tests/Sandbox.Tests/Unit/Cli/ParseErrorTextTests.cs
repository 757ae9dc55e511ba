using Sandbox.Cli;

namespace Sandbox.Tests.Unit.Cli;

/// <summary>A value of the wrong kind is named with its option and what it must be, never with a .NET type.</summary>
public sealed class ParseErrorTextTests
{
    [Theory]
    [InlineData("Cannot parse argument 'abc' for option '--time' as expected type 'System.Int32'.", "--time: 'abc' is not a whole number")]
    [InlineData("Cannot parse argument 'x' for option '--tail' as expected type 'System.Nullable`1[System.Int32]'.", "--tail: 'x' is not a whole number")]
    [InlineData("Cannot parse argument '1,5' for option '--cpus' as expected type 'System.Double'.", "--cpus: '1,5' is not a number")]
    [InlineData("Cannot parse argument 'a\u001bb' for argument 'N' as expected type 'System.Guid'.", "N: 'a\\x1bb' is not valid here")]
    [InlineData("Unrecognized command or argument 'rm'.", "Unrecognized command or argument 'rm'.")]
    public void Conversion_errors_read_as_the_option_and_what_it_takes(string message, string expected) =>
        Assert.Equal(expected, ParseErrorText.Plain(message));
}
