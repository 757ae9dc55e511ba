using System.Formats.Tar;
using System.Text;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Support.DetachedCli;

namespace Sandbox.Tests.Functional;

/// <summary>
/// exec and cp in a detached microVM: through its supervisor and guest init (`crun exec` in the
/// guest), one boot per test under TCG. The exec'd process is as confined as the workload: the
/// attacks the workload cannot make fail for it too. The kernel cache's state root is shared, so
/// each test names its sandbox and volume uniquely and removes them.
/// </summary>
public sealed class ExecCpMicroVmTests : IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromMinutes(3);
    private readonly SandboxCli _cli = MicroVmHost.Cli();
    private readonly string _name = "xc-vm-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _host = Directory.CreateTempSubdirectory("sandbox-cp-vm-").FullName;

    [Fact]
    public void Exec_in_a_microvm_returns_output_and_exit_code_with_env_workdir_user_stdin_and_the_workloads_confinement()
    {
        string id = Start("-e", "KEEP=workload", "busybox", "sh", "-c", "echo up; sleep 600");
        var run = _cli.Run(["exec", _name, "sh", "-c", "echo out-line; echo err-line >&2; exit 3"], stdin: null, Boot);
        Assert.Equal((3, "out-line\n", "err-line\n"), (run.ExitCode, run.Stdout, run.Stderr));
        var shaped = Ok(_cli.Run(["exec", "-i", "-e", "NEW=1", "-w", "/tmp", "-u", "1000:1001", _name, "sh", "-c", "echo $KEEP $NEW; pwd; id -u; id -g; cat"],
            stdin: "piped-in\n", Boot));
        Assert.Equal("workload 1\n/tmp\n1000\n1001\npiped-in\n", shaped.Stdout);
        var missing = _cli.Run(["exec", _name, "no-such-command"], stdin: null, Boot);
        Assert.Equal(127, missing.ExitCode);
        Assert.Contains("no-such-command", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(126, _cli.Run(["exec", _name, "/etc/passwd"], stdin: null, Boot).ExitCode);
        // A -w that does not exist is crun's failure, 125 as in a container; what the command prints and returns is its own.
        var nowhere = _cli.Run(["exec", "-w", "/nonexistent", _name, "sh", "-c", "pwd"], stdin: null, Boot);
        Assert.Equal(125, nowhere.ExitCode);
        Assert.Contains("could not exec in sandbox", nowhere.Stderr, StringComparison.Ordinal);
        Assert.Contains("/nonexistent", nowhere.Stderr, StringComparison.Ordinal);
        Assert.Contains("  hint: ", nowhere.Stderr, StringComparison.Ordinal); // the supervisor passes the hint on, as a container's exec prints it
        var own = _cli.Run(["exec", _name, "sh", "-c", "echo 'executable file `x` not found in $PATH' >&2; exit 255"], stdin: null, Boot);
        Assert.Equal((255, "executable file `x` not found in $PATH\n"), (own.ExitCode, own.Stderr));

        // Confinement, by the attacks themselves: no capability, no_new_privs, seccomp, read-only root, the workload's PID namespace.
        string status = Ok(_cli.Run(["exec", _name, "cat", "/proc/self/status"], stdin: null, Boot)).Stdout;
        Assert.Contains("CapEff:\t0000000000000000", status, StringComparison.Ordinal);
        Assert.Contains("CapBnd:\t0000000000000000", status, StringComparison.Ordinal);
        Assert.Contains("NoNewPrivs:\t1", status, StringComparison.Ordinal);
        Assert.Contains("Seccomp:\t2", status, StringComparison.Ordinal);
        var write = _cli.Run(["exec", _name, "sh", "-c", "echo x > /etc/owned"], stdin: null, Boot);
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Read-only file system", write.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, _cli.Run(["exec", _name, "mount", "-t", "tmpfs", "t", "/mnt"], stdin: null, Boot).ExitCode);
        Assert.Equal("1\n", Ok(_cli.Run(["exec", _name, "sh", "-c", "ps -o pid,comm | grep -c sleep"], stdin: null, Boot)).Stdout);

        var exec = AuditOf(_cli, id).Where(r => r.GetProperty("outcome").GetString() == "exec").ToList();
        Assert.Equal(10, exec.Count);
        Assert.Equal(3, exec[0].GetProperty("exitCode").GetInt32());
        Assert.Equal("up\n", Ok(_cli.Run("logs", _name)).Stdout); // the execs' output never reaches the workload's log

    }

    [Fact]
    public void A_signal_to_exec_reaches_the_exec_d_process_and_an_exec_whose_caller_died_is_killed()
    {
        Start("busybox", "sh", "-c", "echo up; sleep 600");
        bool Holds(string test) => _cli.Run(["exec", _name, "sh", "-c", test], stdin: null, Boot).ExitCode == 0;

        // SIGTERM to `sandbox exec` is the exec'd process's, as a container's exec relays it: its handler runs and its status is the answer.
        using var trapped = _cli.Start(["exec", _name, "sh", "-c", "trap 'echo got-TERM; exit 7' TERM; touch /tmp/trapped; while :; do sleep 1; done"]);
        Eventually(() => Holds("test -e /tmp/trapped"), "the exec to set its trap");
        Assert.Equal(0, Tmds.Linux.LibC.kill(trapped.Id, 15));
        var answer = SandboxCli.Wait(trapped, Boot);
        Assert.Equal((7, "got-TERM\n"), (answer.ExitCode, answer.Stdout));

        // A caller killed outright leaves nobody to read the answer: its process does not run on unseen.
        using var orphan = _cli.Start(["exec", _name, "sh", "-c", "echo $$ > /tmp/victim; exec sleep 300"]);
        Eventually(() => Holds("test -s /tmp/victim && kill -0 $(cat /tmp/victim)"), "the exec to start");
        orphan.Kill();
        orphan.WaitForExit();
        Eventually(() => !Holds("kill -0 $(cat /tmp/victim)"), "the exec'd process to end with its caller");
        Assert.Equal("1\n", Ok(_cli.Run(["exec", _name, "sh", "-c", "ps -o comm | grep -c sleep"], stdin: null, Boot)).Stdout); // the workload's own sleep only
    }

    [Fact]
    public void An_exec_right_after_run_d_waits_for_the_guest_to_start_the_workload()
    {
        // run -d returns once the sandbox is created, while the guest still boots: a script's next
        // command used to fail with "the microVM's workload is not running".
        Ok(_cli.Run(["run", "-d", "--name", _name, "--backend", "microvm", "busybox", "sleep", "600"], stdin: null, Boot));
        var exec = _cli.Run(["exec", _name, "sh", "-c", "echo now; cat /proc/1/comm"], stdin: null, Boot);
        Assert.Equal((0, "now\nsleep\n", ""), (exec.ExitCode, exec.Stdout, exec.Stderr));
    }

    [Fact]
    public async Task An_exec_that_writes_without_end_is_cut_and_cannot_stop_init_serving_the_sandbox()
    {
        Start("busybox", "sh", "-c", "echo up; sleep 600");

        // More than 16 MiB: the first 16 MiB, the command's own status and init's note.
        var (exit, stdout, stderr) = RunBytes(_cli, ["exec", _name, "sh", "-c", "head -c 20000000 /dev/zero; exit 4"], null, Boot);
        Assert.Equal(4, exit);
        Assert.Equal(16 << 20, stdout.Length);
        Assert.Contains("sandbox-init: the exec's output was cut at 16 MiB a stream", stderr, StringComparison.Ordinal);
        Ok(_cli.Run(["exec", _name, "sh", "-c", "head -c 20000000 /dev/zero > /tmp/big"], stdin: null, Boot));
        var tooBig = _cli.Run(["cp", $"{_name}:/tmp/big", _host], stdin: null, Boot); // never a cut tar taken for the file
        Assert.Equal(125, tooBig.ExitCode);
        Assert.Contains($"cp: {_name}:/tmp/big is more than 16 MiB as a tar", tooBig.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_host, "big")));
        Ok(_cli.Run(["exec", _name, "rm", "/tmp/big"], stdin: null, Boot));

        // One exec fills the guest's exec space and holds it. An exec that comes meanwhile, whose input
        // is control messages, is refused whole and named; none of its bytes is read as a message (a
        // "signal 9" would kill the workload, a "poweroff" end the VM).
        var filler = Task.Run(() => RunBytes(_cli, ["exec", _name, "sh", "-c", "head -c 100000000 /dev/zero; sleep 12"], null, Boot));
        byte[] messages = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("\nsignal 9\npoweroff\n", 4000)));
        string refused = "";
        Eventually(() =>
        {
            var (code, _, err) = RunBytes(_cli, ["exec", "-i", _name, "cat"], messages, Boot);
            refused = err;
            return code == 125 || filler.IsCompleted;
        }, "an exec refused while the guest's exec space is full");
        Assert.Contains("sandbox-init: no room in the guest for this exec (its /run/exec is full)", refused, StringComparison.Ordinal);
        var filled = await filler;
        Assert.Equal(16 << 20, filled.Stdout.Length);
        Assert.Contains("cut at 16 MiB", filled.Stderr, StringComparison.Ordinal);

        Assert.Equal("alive\n", Ok(_cli.Run(["exec", _name, "echo", "alive"], stdin: null, Boot)).Stdout);
        Assert.Contains("Up", Ok(_cli.Run("ps")).Stdout, StringComparison.Ordinal);
        Assert.Equal("up\n", Ok(_cli.Run("logs", _name)).Stdout);
    }

    [Fact]
    public void Cp_in_and_out_of_a_microvm_with_tar_streams_a_volume_and_the_read_only_root()
    {
        string volume = _name + "-vol";
        Start("-v", $"{volume}:/data", "busybox", "sh", "-c",
            "ln -s /etc/shadow /tmp/shadow; echo inside > /tmp/made; echo up; sleep 600");
        string source = Path.Combine(_host, "in.txt");
        File.WriteAllText(source, "hello microvm\n");
        Ok(_cli.Run(["cp", source, $"{_name}:/tmp/copied.txt"], stdin: null, Boot));
        Ok(_cli.Run(["cp", source, $"{_name}:/data"], stdin: null, Boot));
        Assert.Equal("hello microvm\nhello microvm\n", Ok(_cli.Run(["exec", _name, "cat", "/tmp/copied.txt", "/data/in.txt"], stdin: null, Boot)).Stdout);

        Ok(_cli.Run(["cp", $"{_name}:/tmp/made", Path.Combine(_host, "made")], stdin: null, Boot));
        Assert.Equal("inside\n", File.ReadAllText(Path.Combine(_host, "made")));
        Ok(_cli.Run(["cp", $"{_name}:/tmp/shadow", Path.Combine(_host, "shadow")], stdin: null, Boot));
        Assert.Equal("/etc/shadow", new FileInfo(Path.Combine(_host, "shadow")).LinkTarget); // the link, never a file it names

        var (exit, tar, stderr) = RunBytes(_cli, ["cp", $"{_name}:/data/in.txt", "-"], null, Boot);
        Assert.True(exit == 0, stderr);
        using (var reader = new TarReader(new MemoryStream(tar)))
        {
            var entry = reader.GetNextEntry();
            Assert.Equal("in.txt", entry?.Name);
            Assert.Equal("hello microvm\n", new StreamReader(entry!.DataStream!).ReadToEnd());
        }

        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "streamed.txt") { DataStream = new MemoryStream("from a tar stream\n"u8.ToArray()), Mode = (UnixFileMode)0b110_100_100 });
        }

        (exit, _, stderr) = RunBytes(_cli, ["cp", "-", $"{_name}:/tmp"], stream.ToArray(), Boot);
        Assert.True(exit == 0, stderr);
        Assert.Equal("from a tar stream\n", Ok(_cli.Run(["exec", _name, "cat", "/tmp/streamed.txt"], stdin: null, Boot)).Stdout);

        var refused = _cli.Run(["cp", source, $"{_name}:/etc"], stdin: null, Boot);
        Assert.Equal(125, refused.ExitCode);
        Assert.Contains($"{_name}:/etc is on a read-only part of the sandbox", refused.Stderr, StringComparison.Ordinal);
        var missing = _cli.Run(["cp", $"{_name}:/tmp/nothing", _host], stdin: null, Boot);
        Assert.Equal(125, missing.ExitCode);
        Assert.Contains($"no such file or directory in sandbox {_name}: /tmp/nothing", missing.Stderr, StringComparison.Ordinal);
        // A device asked for by name is refused as a container's cp refuses it (before: exit 0 and nothing copied).
        var device = _cli.Run(["cp", $"{_name}:/dev/null", Path.Combine(_host, "null")], stdin: null, Boot);
        Assert.Equal(125, device.ExitCode);
        Assert.Contains($"cp: '{_name}:/dev/null' is a character device", device.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_host, "null")));
        var zero = _cli.Run(["cp", "/dev/zero", $"{_name}:/tmp"], stdin: null, Boot);
        Assert.Equal(125, zero.ExitCode);
        Assert.Contains("cp: '/dev/zero' is a character device", zero.Stderr, StringComparison.Ordinal);
        // Nor is a host device, FIFO or socket ever replaced by what comes out (a container's cp refuses the same).
        string fifo = Path.Combine(_host, "pipe");
        Tool.Run("mkfifo", fifo);
        var onFifo = _cli.Run(["cp", $"{_name}:/tmp/made", fifo], stdin: null, Boot);
        Assert.Equal(125, onFifo.ExitCode);
        Assert.Contains($"cp: '{fifo}' is a FIFO (named pipe); cp never replaces a device, FIFO or socket", onFifo.Stderr, StringComparison.Ordinal);
        Assert.Equal("fifo", Tool.Run("stat", "-c", "%F", fifo).Trim());
    }

    [Fact]
    public void Cp_in_a_microvm_whose_image_has_no_tar_says_that_is_what_it_needs()
    {
        // A minimal image: a shell and sleep, no tar (cp in a microVM runs the image's tar inside the sandbox).
        string rootfs = Directory.CreateDirectory(Path.Combine(_host, "rootfs", "bin")).Parent!.FullName;
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        File.SetUnixFileMode(Path.Combine(rootfs, "bin", "busybox"), (UnixFileMode)0b111_101_101);
        foreach (string applet in new[] { "sh", "sleep", "echo" })
        {
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        }

        File.SetUnixFileMode(_host, (UnixFileMode)0b111_101_101);
        string image = _name + "-notar:1";
        Ok(_cli.Run(["image", "import", rootfs, "--name", image], stdin: null, Boot));
        try
        {
            Start(image, "sh", "-c", "echo up; sleep 600");
            foreach (string[] cp in new[] { new[] { "cp", $"{_name}:/tmp", Path.Combine(_host, "out") }, ["cp", rootfs, $"{_name}:/tmp"] })
            {
                var run = _cli.Run(cp, stdin: null, Boot);
                Assert.Equal(125, run.ExitCode);
                Assert.Contains($"cp: sandbox {_name} has no tar in its image, which cp in a microVM runs", run.Stderr, StringComparison.Ordinal);
                Assert.Contains("share the files through a volume", run.Stderr, StringComparison.Ordinal);
            }
        }
        finally
        {
            _cli.Run(["rm", "-f", _name], stdin: null, TimeSpan.FromMinutes(2));
            _cli.Run(["image", "rm", image], stdin: null, TimeSpan.FromMinutes(1));
        }
    }

    private string Start(params string[] args)
    {
        string id = Ok(_cli.Run(["run", "-d", "--name", _name, "--backend", "microvm", .. args], stdin: null, Boot)).Stdout.Trim();
        Eventually(() => _cli.Run("logs", _name).Stdout.Contains("up\n", StringComparison.Ordinal), "the workload up");
        return id;
    }

    public void Dispose()
    {
        _cli.Run(["rm", "-f", _name], stdin: null, TimeSpan.FromMinutes(2));
        _cli.Run(["volume", "rm", _name + "-vol"], stdin: null, TimeSpan.FromMinutes(1));
        _cli.Dispose();
        Directory.Delete(_host, recursive: true);
    }
}
