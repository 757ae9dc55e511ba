using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>tcgetattr/tcsetattr and TIOCGWINSZ on one descriptor: the launcher's terminal for -t.</summary>
internal static unsafe class Termios
{
    public static bool TryGet(int fd, out termios settings)
    {
        termios t;
        // SAFETY: t lives on this stack frame; tcgetattr only writes it.
        bool ok = LibC.tcgetattr(fd, &t) == 0;
        settings = t;
        return ok;
    }

    public static bool Set(int fd, termios settings) =>
        // SAFETY: settings is a copy on this stack frame; tcsetattr only reads it.
        LibC.tcsetattr(fd, (int)LibC.TCSANOW, &settings) == 0;

    /// <summary>cfmakeraw: bytes in and out unchanged, no echo, no signals from keys (Ctrl-C is a byte).</summary>
    public static termios Raw(termios t)
    {
        t.c_iflag &= ~(uint)(LibC.IGNBRK | LibC.BRKINT | LibC.PARMRK | LibC.ISTRIP | LibC.INLCR | LibC.IGNCR | LibC.ICRNL | LibC.IXON);
        t.c_oflag &= ~(uint)LibC.OPOST;
        t.c_lflag &= ~(uint)(LibC.ECHO | LibC.ECHONL | LibC.ICANON | LibC.ISIG | LibC.IEXTEN);
        t.c_cflag &= ~(uint)(LibC.CSIZE | LibC.PARENB);
        t.c_cflag |= (uint)LibC.CS8;
        t.c_cc[LibC.VMIN] = 1;
        t.c_cc[LibC.VTIME] = 0;
        return t;
    }

    public static (ushort Rows, ushort Columns)? WindowSize(int fd)
    {
        winsize ws;
        // SAFETY: ws lives on this stack frame; TIOCGWINSZ only writes it.
        return LibC.ioctl(fd, LibC.TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 ? (ws.ws_row, ws.ws_col) : null;
    }
}
