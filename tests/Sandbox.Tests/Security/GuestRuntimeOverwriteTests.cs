using Sandbox.Tests.Support;
using static Sandbox.Tests.Support.DetachedCli;

namespace Sandbox.Tests.Security;

/// <summary>
/// CVE-2019-5736 against the microVM's guest runtime: a workload that gets `sandbox exec` to run the
/// runtime's own binary inside the sandbox (directly, or as a script's `#!/proc/self/exe`
/// interpreter) and holds that binary open to rewrite it once it exits. The guest's crun runs from
/// a read-only mount (kernels/init.sh), so it no longer copies itself first; the attack must still
/// fail and leave the runtime that serves later execs as it was. crun 1.8 already refuses to exec
/// either vector (ENOENT), so the watcher finds nothing to hold; were a runtime ever to run, a write
/// through the held image would meet the read-only mount (EROFS), and the log would say so.
/// </summary>
public sealed class GuestRuntimeOverwriteTests : IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromMinutes(3);
    private readonly SandboxCli _cli = MicroVmHost.Cli();
    private readonly string _name = "rt-vm-" + Guid.NewGuid().ToString("N")[..8];

    // PID 1 of the sandbox: holds every process image that is not busybox's, and once that process
    // has ended writes through the held descriptor, saying what happened.
    private const string Attacker = """
        echo up
        while :; do
          for p in /proc/[0-9]*; do
            [ "${p#/proc/}" = $$ ] && continue
            [ $p/exe -ef /bin/busybox ] && continue
            command exec 5<$p/exe 2>/dev/null || continue
            echo "held the image of pid ${p#/proc/}"
            while [ -e $p ]; do :; done
            if { echo owned >/proc/self/fd/5; } 2>/tmp/err; then echo "REWROTE the runtime"; else echo "refused: $(cat /tmp/err)"; fi
            exec sleep 600
          done
        done
        """;

    [Fact]
    public void A_workload_cannot_run_or_rewrite_the_guest_runtime_through_exec()
    {
        Ok(_cli.Run(["run", "-d", "--name", _name, "--backend", "microvm", "busybox", "sh", "-c", Attacker], stdin: null, Boot));
        Eventually(() => _cli.Run("logs", _name).Stdout.Contains("up\n", StringComparison.Ordinal), "the workload up");
        Ok(_cli.Run(["exec", _name, "sh", "-c", "printf '#!/proc/self/exe\\n' >/tmp/evil && chmod +x /tmp/evil"], stdin: null, Boot));

        foreach (string vector in new[] { "/proc/self/exe", "/tmp/evil" })
        {
            var exec = _cli.Run(["exec", _name, vector, "--version"], stdin: null, Boot);
            Assert.True(exec.ExitCode != 0, $"{vector} ran in the sandbox:\n{exec}");
            Assert.DoesNotContain("crun version", exec.Stdout, StringComparison.Ordinal);
        }

        // The runtime that serves the next exec is intact, and nothing was written through a held image.
        var after = _cli.Run(["exec", _name, "sh", "-c", "echo intact"], stdin: null, Boot);
        Assert.Equal((0, "intact\n"), (after.ExitCode, after.Stdout));
        string log = _cli.Run("logs", _name).Stdout;
        Assert.DoesNotContain("REWROTE", log, StringComparison.Ordinal);
        Assert.True(!log.Contains("held", StringComparison.Ordinal) || log.Contains("refused:", StringComparison.Ordinal), log);
    }

    public void Dispose()
    {
        _cli.Run(["rm", "-f", _name], stdin: null, TimeSpan.FromMinutes(2));
        _cli.Dispose();
    }
}
