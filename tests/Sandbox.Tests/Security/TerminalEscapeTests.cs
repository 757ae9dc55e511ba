using Sandbox.Host;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// What the launcher prints that came from a sandbox or its image (recorded commands, names,
/// errors, the guest console) must not drive the user's terminal: an escape sequence that retitles
/// or clears it arrives as visible text.
/// </summary>
public sealed class TerminalEscapeTests
{
    private const string Attack = "\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202egnp.exe";

    [Fact]
    public void Control_characters_and_direction_overrides_become_visible_escapes()
    {
        Assert.Equal("\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe", Printable.Escape(Attack));
        Assert.Equal("a\nb\\x0dc", Printable.Escape("a\nb\rc", keepNewlines: true));
        Assert.Equal("a\\x0ab\tc ü", Printable.Escape("a\nb\tc ü"));
    }

    [Fact]
    public void Audit_show_and_ls_print_a_recorded_escape_sequence_as_text()
    {
        using var cli = SandboxCli.ForContainers();
        var run = cli.Run("run", "--trust", "trusted", "busybox", "true", Attack);
        Assert.True(run.ExitCode == 0, run.ToString());

        var show = cli.Run("audit", "show", "1");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("command:  true \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe", show.Stdout, StringComparison.Ordinal);
        foreach (string output in new[] { show.Stdout, cli.Run("audit", "ls").Stdout })
        {
            Assert.DoesNotContain(output, c => c is '\u001b' or '\u0007' or '\u009b' or '\u202e');
        }
    }

    [Fact]
    public void An_image_command_with_control_characters_is_named_escaped_in_the_error()
    {
        using var cli = SandboxCli.ForContainers();
        var run = cli.Run("run", "--trust", "trusted", "busybox", "/bin/\u001b[2Jnope");
        Assert.Equal(127, run.ExitCode);
        Assert.Contains("command '/bin/\\x1b[2Jnope' not found", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.Stderr);
    }
}
