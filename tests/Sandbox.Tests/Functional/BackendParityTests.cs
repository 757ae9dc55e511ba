using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// One product, two isolation kinds: the same workload on a real Debian image (debootstrapped
/// bookworm) gives the same answers in the hardened container and in the microVM, except for what the
/// kernel itself changes. <see cref="AllowedDifferences"/> pins that list (docs/parity.md explains
/// each); any other difference fails the test.
/// </summary>
public sealed class BackendParityTests : IDisposable
{
    /// <summary>The facts that may differ between the backends, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> AllowedDifferences = new Dictionary<string, string>
    {
        ["kernel"] = "the microVM runs its own guest kernel",
        ["uidmap"] = "the container maps root to a private host ID range; the guest needs no user namespace (its kernel is the boundary)",
        ["nproc"] = "a container sees the host's CPUs (its quota limits time, not CPUs); the guest has exactly its --cpus vCPUs",
        ["cgroup"] = "on a cgroup v1 host the container lists v1 hierarchies; the guest kernel has only cgroup2",
        ["kcore"] = "whether /proc/kcore exists depends on the kernel's configuration; where it exists it is masked (reads nothing)",
    };

    private static readonly HashSet<string> DeviceNodes = ["/dev/full", "/dev/null", "/dev/random", "/dev/tty", "/dev/urandom", "/dev/zero"];

    // Masked directories that exist only when the kernel has ACPI, debugfs or securityfs (the minimal
    // guest kernel has none): the runtime masks them where they exist; "masked-dirs" checks that
    // nothing is visible in them in either backend.
    private static readonly HashSet<string> KernelDependentMasks = ["/proc/acpi", "/sys/kernel/debug", "/sys/kernel/security"];

    /// <summary>
    /// Facts compared after removing what only the engine's mechanics change: in a user namespace runc
    /// bind-mounts the default device nodes instead of creating them (so they show as mounts); crun adds
    /// a /dev/core link (to the masked /proc/kcore); masks over /proc files the kernel lacks do not appear.
    /// </summary>
    private static readonly Dictionary<string, Func<string, string>> Normalized = new Dictionary<string, Func<string, string>>
    {
        ["dev"] = v => Words(v, w => w != "core"),
        ["mounts"] = v => Words(v, w => !DeviceNodes.Contains(w) && w is not "/proc/kcore" and not "/proc/sysrq-trigger" && !KernelDependentMasks.Contains(w)),
    };

    private static string Words(string value, Func<string, bool> keep) =>
        string.Join(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(keep));

    // Each line "key=value"; dash is the image's /bin/sh. Everything runs as the workload would.
    private const string Script = """
        p() { printf '%s=%s\n' "$1" "$2"; }
        err() { "$@" 2>&1 >/dev/null | sed 's/.*: //' | head -n 1; }
        p exe "$(readlink /proc/$$/exe)"
        p ls "$(ls --version | head -n 1)"
        p dpkg "$(dpkg --version | head -n 1)"
        p id "$(id)"
        for s in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do p "$s" "$(grep "^$s:" /proc/self/status | cut -f 2)"; done
        p umask "$(umask)"
        p nofile "$(ulimit -n)"
        p core "$(ulimit -c)"
        p nproc-limit "$(grep 'Max processes' /proc/self/limits | tr -s ' ' | cut -d ' ' -f 3,4)"
        p hostname "$(hostname)"
        p lo "$(cat /sys/class/net/lo/operstate) $(cat /sys/class/net/lo/flags)"
        p interfaces "$(ls /sys/class/net | tr '\n' ' ')"
        p cwd "$(pwd)"
        p env "$(printenv GREETING)"
        p path "$PATH"
        p home "$HOME"
        p root-write "$(err touch /x)"
        p tmp "$(stat -f -c '%b*%S' /tmp) $(stat -c '%a' /tmp)"
        p shm "$(stat -f -c '%b*%S' /dev/shm)"
        p tmp-full "$(err dd if=/dev/zero of=/tmp/big bs=1M count=80)"
        p dev "$(ls /dev | tr '\n' ' ')"
        p mounts "$(cut -d ' ' -f 2 /proc/self/mounts | sort | tr '\n' ' ')"
        p sysctl-write "$(err sh -c 'echo x > /proc/sys/kernel/hostname')"
        p kcore "$(err head -c 1 /proc/kcore)"
        p masked-dirs "$(for d in /proc/acpi /sys/kernel/debug /sys/kernel/security /sys/firmware; do ls -A "$d" 2>/dev/null; done | tr '\n' ' ')"
        p pid1 "$(tr '\0\n' '  ' </proc/1/cmdline | cut -c 1-7)"
        p userns "$(err unshare -U true)"
        p mount "$(err mount -t tmpfs x /mnt)"
        p shadow "$(stat -c '%U:%G %a' /etc/shadow)"
        p hosts "$(getent hosts localhost | head -n 1)"
        p signal "$(sh -c 'kill -USR1 $$; echo not-reached'; echo $?)"
        p kernel "$(uname -r)"
        p uidmap "$(tr -s ' ' </proc/self/uid_map)"
        p nproc "$(nproc)"
        p cgroup "$(cat /proc/self/cgroup | tr '\n' ' ')"
        """;

    private readonly SandboxCli _cli = MicroVmHost.Cli();
    private readonly string _image = $"parity-{Guid.NewGuid():N}"[..20] + ":12";

    public BackendParityTests()
    {
        var imported = _cli.Run(["image", "import", DebianRootfs.Tar, "--name", _image, "--trust", "trusted"], stdin: null, TimeSpan.FromMinutes(3));
        Assert.True(imported.ExitCode == 0, imported.ToString());
    }

    private CliRun Run(string backend, params string[] args) =>
        _cli.Run(["run", "--trust", "trusted", "--backend", backend, .. args], stdin: "", TimeSpan.FromMinutes(3));

    [Fact]
    public void The_same_workload_observes_the_same_sandbox_in_both_backends()
    {
        var facts = new[] { "container", "microvm" }.ToDictionary(b => b, b =>
        {
            var run = Run(b, "-e", "GREETING=grüß dich", "-w", "/tmp/work", "--memory", "256M", _image, "sh", "-c", Script);
            Assert.True(run.ExitCode == 0, $"{b}: {run}");
            return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('=', 2))
                .ToDictionary(kv => kv[0], kv => Normalized.TryGetValue(kv[0], out var n) ? n(kv.Length > 1 ? kv[1] : "") : kv.Length > 1 ? kv[1] : "");
        });
        var container = facts["container"];
        var vm = facts["microvm"];

        // Both are the sandbox the policy describes, not merely alike.
        foreach (var f in new[] { container, vm })
        {
            Assert.Equal("/usr/bin/dash", f["exe"]);
            Assert.StartsWith("ls (GNU coreutils)", f["ls"], StringComparison.Ordinal);
            Assert.Equal("0000000000000000", f["CapEff"]);
            Assert.Equal("0000000000000000", f["CapBnd"]);
            Assert.Equal("1", f["NoNewPrivs"]);
            Assert.Equal("2", f["Seccomp"]);
            Assert.Equal("sandbox", f["hostname"]);
            Assert.Equal("lo ", f["interfaces"]);
            Assert.Equal("/tmp/work", f["cwd"]);
            Assert.Equal("grüß dich", f["env"]);
            Assert.Equal("Read-only file system", f["root-write"]);
            Assert.Equal("No space left on device", f["tmp-full"]);
            Assert.Equal("138", f["signal"]);
            Assert.Contains(f["kcore"], new[] { "", "No such file or directory" }); // masked, or absent from the kernel
            Assert.Contains("/proc/sys", f["mounts"], StringComparison.Ordinal);
            Assert.Equal("", f["masked-dirs"]);
        }

        var differing = container.Keys.Union(vm.Keys)
            .Where(k => !container.TryGetValue(k, out var c) || !vm.TryGetValue(k, out var v) || c != v)
            .Where(k => !AllowedDifferences.ContainsKey(k))
            .Select(k => $"{k}: container '{container.GetValueOrDefault(k)}' vs microvm '{vm.GetValueOrDefault(k)}'")
            .ToList();
        Assert.True(differing.Count == 0, "the backends differ where they must not:\n" + string.Join('\n', differing));
        Assert.NotEqual(container["kernel"], vm["kernel"]); // the one difference that must be there
    }

    [Theory]
    [InlineData("exit 42", 42)]
    [InlineData("kill -TERM $$", 0)] // the workload is PID 1 of its namespace: a signal it has no handler for is ignored
    [InlineData("sh -c 'kill -TERM $$'", 143)]
    [InlineData("exec /nonexistent/program", 127)]
    public void Exit_statuses_are_the_same_in_both_backends(string command, int expected)
    {
        foreach (string backend in new[] { "container", "microvm" })
        {
            var run = Run(backend, _image, "sh", "-c", command);
            Assert.True(run.ExitCode == expected, $"{backend}: {run}");
        }
    }

    [Fact]
    public void Memory_hogs_are_killed_and_timeouts_count_the_workload_s_time_in_both_backends()
    {
        foreach (string backend in new[] { "container", "microvm" })
        {
            // A hog inside a 64 MiB sandbox is OOM-killed (137) and told so; the guest kernel never panics.
            var hog = Run(backend, "--memory", "64M", _image, "sh", "-c", "exec tail /dev/zero");
            Assert.True(hog.ExitCode == 137, $"{backend}: {hog}");
            Assert.Contains("sandbox: the workload reached its memory limit (64 MiB): the out-of-memory killer", hog.Stderr, StringComparison.Ordinal);

            // A SIGKILL that is not the OOM killer's is not called one.
            var killed = Run(backend, "--memory", "64M", _image, "sh", "-c", "sh -c 'kill -KILL $$'; exit $?");
            Assert.True(killed.ExitCode == 137, $"{backend}: {killed}");
            Assert.DoesNotContain("memory limit", killed.Stderr, StringComparison.Ordinal);

            // --timeout 3s: "started" prints although booting a VM under TCG takes longer than 3 s.
            var slow = Run(backend, "--timeout", "3s", _image, "sh", "-c", "echo started; sleep 30");
            Assert.True(slow.ExitCode == 137, $"{backend}: {slow}");
            Assert.Equal("started\n", slow.Stdout);
        }
    }

    [Fact]
    public void Argument_and_environment_bytes_that_are_not_utf8_arrive_unchanged_in_both_backends()
    {
        byte[] Text(string s) => System.Text.Encoding.UTF8.GetBytes(s);
        foreach (string backend in new[] { "container", "microvm" })
        {
            // $'\xff\xfe caf\xe9' and an env value with invalid UTF-8, dumped by coreutils' od in the image.
            var run = _cli.RunBytes([Text("run"), Text("--trust"), Text("trusted"), Text("--backend"), Text(backend),
                Text("-e"), [.. Text("BYTES="), 0xc3, 0x28, 0xff], Text(_image), Text("sh"), Text("-c"),
                Text("""printf %s "$1" | od -An -tx1; printf %s "$BYTES" | od -An -tx1; readlink /proc/$$/exe"""), Text("sh"), ArgumentBytesTests.Argument]);
            Assert.True(run.ExitCode == 0, $"{backend}: {run}");
            Assert.Equal(" ff fe 20 63 61 66 e9\n c3 28 ff\n/usr/bin/dash\n", run.Stdout);
        }
    }

    [Fact]
    public void The_pids_limit_holds_in_both_backends()
    {
        foreach (string backend in new[] { "container", "microvm" })
        {
            // 8 processes at most: the shell cannot start 20 children, and says so.
            var run = Run(backend, "--pids-limit", "8", _image, "sh", "-c", "for i in $(seq 20); do sleep 30 & done; echo all-started");
            Assert.True(run.ExitCode != 0, $"{backend}: {run}");
            Assert.DoesNotContain("all-started", run.Stdout, StringComparison.Ordinal);
            Assert.Contains("fork", run.Stderr, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Hostname_names_the_sandbox_in_both_backends_and_a_bad_one_is_refused()
    {
        foreach (string backend in new[] { "container", "microvm" })
        {
            var run = Run(backend, "--hostname", "web-1", _image, "sh", "-c", "hostname; echo $HOSTNAME");
            Assert.True(run.ExitCode == 0, $"{backend}: {run}");
            Assert.Equal("web-1\nweb-1\n", run.Stdout);
        }

        var bad = Run("container", "--hostname", "bad_name!", _image, "true");
        Assert.Equal(125, bad.ExitCode);
        Assert.Contains("--hostname", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signal_to_the_launcher_reaches_the_workload_in_both_backends()
    {
        foreach (string backend in new[] { "container", "microvm" })
        {
            using var launcher = _cli.Start(["run", "--trust", "trusted", "--backend", backend, _image, "sh", "-c",
                "trap 'echo got-TERM; exit 3' TERM; echo up; sleep 60 & wait"], redirectStdin: true);
            launcher.StandardInput.Close();
            Assert.Equal("up", launcher.StandardOutput.ReadLine()); // the workload runs (after the boot, for the VM)
            Assert.Equal(0, Tmds.Linux.LibC.kill(launcher.Id, 15));
            var stderr = launcher.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            string stdout = await launcher.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            Assert.True(launcher.WaitForExit(TimeSpan.FromSeconds(60)), $"{backend}: the launcher did not exit");
            Assert.True(launcher.ExitCode == 3, $"{backend}: exit {launcher.ExitCode}\n{stdout}{await stderr}"); // its handler ran and chose the status
            Assert.Equal("got-TERM\n", stdout);
        }
    }

    public void Dispose()
    {
        _cli.Run("image", "rm", _image);
        _cli.Dispose();
    }
}
