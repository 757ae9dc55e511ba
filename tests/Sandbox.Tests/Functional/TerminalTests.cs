using System.Diagnostics;
using System.Text;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// -i/-t in both backends, at a real terminal: util-linux's `script` gives the launcher a pty of its
/// own (30 rows, 100 columns), the test types into it and reads what the terminal shows.
/// </summary>
public sealed class TerminalTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private readonly SandboxCli _cli = MicroVmHost.Cli();

    public static TheoryData<string> Backends => ["container", "microvm"];

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task The_workload_gets_a_pty_of_its_own_with_the_terminal_s_size(string backend)
    {
        using var session = Terminal.Start(_cli, backend, "sh", "-c", "tty; stty size; echo term=$TERM; exit 4");
        string screen = await session.WaitForExitAsync();
        Assert.Contains("/dev/pts/0", screen, StringComparison.Ordinal); // the sandbox's own devpts, not the host's terminal
        Assert.Contains("30 100", screen, StringComparison.Ordinal);
        Assert.Contains("term=xterm", screen, StringComparison.Ordinal); // as docker run -t: curses programs need to know
        Assert.Contains("rc=4", screen, StringComparison.Ordinal);
        Assert.Contains("after: opost icanon", screen, StringComparison.Ordinal); // the host terminal is restored
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task An_interactive_shell_runs_what_is_typed_and_ctrl_c_reaches_it(string backend)
    {
        using var session = Terminal.Start(_cli, backend, "sh", "-c",
            "trap 'echo got-INT; exit 9' INT; echo ready; read line; echo \"typed:$line\"; while :; do sleep 1; done");
        await session.WaitForAsync("ready");
        await session.TypeAsync("hello there\r");
        await session.WaitForAsync("typed:hello there");
        await session.TypeAsync("\u0003"); // Ctrl-C: a byte to the sandbox's pty, whose line discipline makes it SIGINT
        string screen = await session.WaitForExitAsync();
        Assert.Contains("got-INT", screen, StringComparison.Ordinal);
        Assert.Contains("rc=9", screen, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_resize_of_the_launcher_s_terminal_reaches_the_workload_s_pty(string backend)
    {
        using var session = Terminal.Start(_cli, backend, "sh", "-c",
            "trap 'exit 9' INT; stty size; echo ready; while :; do stty size; sleep 1; done");
        await session.WaitForAsync("ready");
        await session.ResizeAsync(40, 120); // as a terminal emulator does: TIOCSWINSZ, and the kernel sends SIGWINCH
        await session.WaitForAsync("40 120");
        await session.TypeAsync("\u0003");
        string screen = await session.WaitForExitAsync();
        Assert.Contains("30 100\nready", screen, StringComparison.Ordinal); // the size at launch first
        Assert.Contains("rc=9", screen, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Ctrl_c_at_a_terminal_without_t_reaches_the_workload_s_handler_and_nothing_else(string backend)
    {
        // Without -t the terminal stays cooked: Ctrl-C is SIGINT to the launcher's process group. The
        // launcher forwards it; the microVM's runtime is in a session of its own, so QEMU never gets it.
        using var session = Terminal.Start(_cli, backend, tty: false, "sh", "-c",
            "trap 'echo got-INT; exit 9' INT; echo ready; while :; do sleep 1; done");
        await session.WaitForAsync("ready");
        await session.TypeAsync("\u0003");
        Assert.Equal(9, await session.ExitCodeAsync());
        Assert.Contains("got-INT", session.Screen, StringComparison.Ordinal);
        Assert.DoesNotContain("sandbox:", session.Screen.Replace("sandbox: no hardware virtualization", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Run_it_debian_bash_is_an_interactive_shell(string backend)
    {
        string image = $"tty-{Guid.NewGuid():N}"[..16] + ":12";
        var imported = _cli.Run(["image", "import", DebianRootfs.Tar, "--name", image, "--trust", "trusted"], stdin: null, TimeSpan.FromMinutes(3));
        Assert.True(imported.ExitCode == 0, imported.ToString());
        try
        {
            using var session = Terminal.StartImage(_cli, backend, image, "bash");
            await session.WaitForAsync("@sandbox:/# "); // bash's own prompt: it saw a terminal
            await session.TypeAsync("echo \"bash=$BASH_VERSION\"; exit 3\r");
            string screen = await session.WaitForExitAsync();
            Assert.Contains("bash=5.", screen, StringComparison.Ordinal);
            Assert.Contains("rc=3", screen, StringComparison.Ordinal);
        }
        finally
        {
            _cli.Run("image", "rm", image);
        }
    }

    /// <summary>Regression: the microVM refused -t without -i (crun in the guest got no terminal), which the container ran.</summary>
    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Run_t_without_i_connects_the_terminal_both_ways_in_both_backends(string backend)
    {
        using var session = Terminal.StartWithFlags(_cli, backend, "-t", "sh", "-c", "tty; echo ready; read line; echo \"typed:$line\"; exit 4");
        await session.WaitForAsync("ready");
        await session.TypeAsync("hi\r");
        string screen = await session.WaitForExitAsync();
        Assert.Contains("/dev/pts/0", screen, StringComparison.Ordinal);
        Assert.Contains("typed:hi", screen, StringComparison.Ordinal);
        Assert.Contains("rc=4", screen, StringComparison.Ordinal);
    }

    [Fact]
    public void Tty_without_a_terminal_is_refused()
    {
        var run = _cli.Run(["run", "--trust", "trusted", "-it", "busybox", "true"], stdin: "");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("-t: the input is not a terminal", run.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();

    /// <summary>The launcher at a terminal made by `script`, with what it shows collected.</summary>
    private sealed class Terminal : IDisposable
    {
        private readonly Process _script;
        private readonly StringBuilder _screen = new();
        private readonly Task _reader;

        private Terminal(Process script)
        {
            _script = script;
            _reader = Task.Run(async () =>
            {
                var buffer = new char[4096];
                int n;
                while ((n = await _script.StandardOutput.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    lock (_screen)
                    {
                        _screen.Append(buffer, 0, n);
                    }
                }
            });
        }

        public static Terminal Start(SandboxCli cli, string backend, params string[] command) => Launch(cli, backend, tty: true, "busybox", command);

        public static Terminal Start(SandboxCli cli, string backend, bool tty, params string[] command) => Launch(cli, backend, tty, "busybox", command);

        /// <summary>With <paramref name="flags"/> (e.g. -t alone) in place of -it.</summary>
        public static Terminal StartWithFlags(SandboxCli cli, string backend, string flags, params string[] command) => Launch(cli, backend, tty: true, "busybox", command, flags);

        /// <summary>With -it, a command from <paramref name="image"/>.</summary>
        public static Terminal StartImage(SandboxCli cli, string backend, string image, params string[] command) => Launch(cli, backend, tty: true, image, command);

        /// <param name="tty">With -it, then report the exit code and the terminal's mode; without, the launcher is exec'd (see <see cref="ExitCodeAsync"/>).</param>
        private static Terminal Launch(SandboxCli cli, string backend, bool tty, string image, string[] command, string flags = "-it")
        {
            string script = Require.Tool("script");
            string trust = backend == "container" ? "trusted" : "untrusted";
            string launcher = $"{Quote(RepoPaths.SandboxBinary)} --root {Quote(cli.StateRoot)} run --trust {trust} --backend {backend} {(tty ? flags + " " : "")}{Quote(image)} "
                + string.Join(' ', command.Select(Quote));
            string inner = tty
                ? $"stty rows 30 cols 100; echo launcher-tty=$(tty); {launcher}; echo rc=$?; echo after: $(stty -a | grep -o -- '-\\?opost\\|-\\?icanon' | tr '\\n' ' ')"
                : $"exec {launcher}"; // no shell left to take the terminal's SIGINT too
            var psi = new ProcessStartInfo(script) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string a in new[] { "-qec", inner, "/dev/null" })
            {
                psi.ArgumentList.Add(a);
            }

            return new Terminal(Process.Start(psi) ?? throw new InvalidOperationException("could not start script"));
        }

        public string Screen
        {
            get
            {
                lock (_screen)
                {
                    return _screen.ToString().Replace("\r", "", StringComparison.Ordinal);
                }
            }
        }

        public async Task WaitForAsync(string text)
        {
            var clock = Stopwatch.StartNew();
            while (!Screen.Contains(text, StringComparison.Ordinal))
            {
                Assert.True(clock.Elapsed < Patience, $"'{text}' never appeared; the terminal shows:\n{Screen}");
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        /// <summary>Resizes the launcher's terminal from outside, through its pty's other side (stty -F).</summary>
        public async Task ResizeAsync(int rows, int columns)
        {
            await WaitForAsync("launcher-tty=/dev/pts/");
            string tty = Screen.Split('\n').First(l => l.StartsWith("launcher-tty=", StringComparison.Ordinal))["launcher-tty=".Length..].Trim();
            var psi = new ProcessStartInfo(Require.Tool("stty")) { UseShellExecute = false, RedirectStandardError = true };
            foreach (string a in new[] { "-F", tty, "rows", $"{rows}", "cols", $"{columns}" })
            {
                psi.ArgumentList.Add(a);
            }

            using var stty = Process.Start(psi) ?? throw new InvalidOperationException("could not start stty");
            string error = await stty.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await stty.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(stty.ExitCode == 0, $"stty -F {tty}: {error}");
        }

        public async Task TypeAsync(string keys)
        {
            await _script.StandardInput.WriteAsync(keys);
            await _script.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
        }

        /// <summary>The launcher's exit code (script -e passes it on), for a session started without -t.</summary>
        public async Task<int> ExitCodeAsync()
        {
            using var done = new CancellationTokenSource(Patience);
            await _script.WaitForExitAsync(done.Token);
            await _reader;
            return _script.ExitCode;
        }

        public async Task<string> WaitForExitAsync()
        {
            await WaitForAsync("after:");
            using var done = new CancellationTokenSource(Patience);
            await _script.WaitForExitAsync(done.Token);
            await _reader;
            return Screen;
        }

        public void Dispose()
        {
            if (!_script.HasExited)
            {
                _script.Kill(entireProcessTree: true);
            }

            _script.Dispose();
        }

        private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
