using Sandbox.Runtime;

namespace Sandbox.Host;

/// <summary>The size of a terminal, in character cells.</summary>
public readonly record struct TerminalSize(ushort Rows, ushort Columns);

/// <summary>
/// The launcher's own terminal, for -t: whether there is one, its size, and raw mode while a
/// sandbox's pty owns the keyboard (so Ctrl-C reaches the workload as a byte, and its line
/// discipline, not the host's, turns it into SIGINT).
/// </summary>
public static class HostTerminal
{
    public static bool IsTerminal(int fd) => Tmds.Linux.LibC.isatty(fd) == 1;

    /// <summary>
    /// The terminal's input as plain bytes. Not Console.OpenStandardInput: on a terminal that is a
    /// line editor which echoes, buffers until Enter, and resets the terminal's mode as it goes.
    /// </summary>
    public static Stream OpenInput()
    {
        int fd = Tmds.Linux.LibC.dup(0);
        return fd >= 0
            ? new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, bufferSize: 0)
            : throw new SandboxException(ErrorKind.HostUnsupported, "-i: cannot open the terminal's input");
    }

    /// <summary>The terminal's size (of stdout, else stdin), or 24x80 when it does not say.</summary>
    public static TerminalSize Size() =>
        (Interop.Termios.WindowSize(1) ?? Interop.Termios.WindowSize(0)) is { } s ? new TerminalSize(s.Rows, s.Columns) : new TerminalSize(24, 80);

    /// <summary>Puts the terminal on stdin in raw mode (tcsetattr, in-process) until disposed, then restores it as it was.</summary>
    public static IDisposable Raw()
    {
        if (!Interop.Termios.TryGet(0, out var saved) || !Interop.Termios.Set(0, Interop.Termios.Raw(saved)))
        {
            throw new SandboxException(ErrorKind.HostUnsupported, "-t: cannot put the terminal in raw mode",
                "run from a terminal, or drop -t");
        }

        return new Restore(saved);
    }

    private sealed class Restore(Tmds.Linux.termios saved) : IDisposable
    {
        public void Dispose() => Interop.Termios.Set(0, saved);
    }
}
