using Sandbox.Cli;

namespace Sandbox.Tests.Unit.Cli;

/// <summary>A value of the wrong kind is named with its option and what it must be, never with a .NET type.</summary>
public sealed class ParseErrorTextTests
{
    private static string Conversion(string value, string kind, string name, string type) =>
        ParseErrorText.Plain($"Cannot parse argument '{value}' for {kind} '{name}' as expected type '{type}'.");

    [Fact]
    public void Conversion_errors_read_as_the_option_and_what_it_takes()
    {
        Assert.Equal("--time: 'abc' is not a whole number", Conversion("abc", "option", "--time", "System.Int32"));
        Assert.Equal("--tail: 'x' is not a whole number", Conversion("x", "option", "--tail", "System.Nullable`1[System.Int32]"));
        Assert.Equal("--cpus: '1,5' is not a number", Conversion("1,5", "option", "--cpus", "System.Double"));
        Assert.Equal("N: 'a\\x1bb' is not valid here", Conversion("a\u001bb", "argument", "N", "System.Guid")); // escaped, never a terminal sequence
    }

    [Fact]
    public void Other_parse_errors_pass_unchanged() =>
        Assert.Equal("Unrecognized command or argument 'rm'.", ParseErrorText.Plain("Unrecognized command or argument 'rm'."));
}
