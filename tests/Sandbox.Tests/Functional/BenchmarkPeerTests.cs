using System.Diagnostics;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// `make bench` times the microVM against bare QEMU driven by tests/Performance/qemu-peer.py, which
/// speaks the guest protocol itself. A protocol change that leaves the peer behind once made the
/// benchmark hang forever; running it once here (one timed run each, nothing asserted about speed)
/// turns that into a failing test.
/// </summary>
public sealed class BenchmarkPeerTests : IDisposable
{
    private readonly SandboxCli _cli;

    public BenchmarkPeerTests()
    {
        MicroVmHost.Cli().Dispose(); // the minimal kernels are built into the machine's build cache
        Require.Tool("hyperfine");
        Require.Tool("jq");
        Require.Tool("python3");
        _cli = new SandboxCli(); // its own root: the script reads the one live run's config from it
    }

    [Fact]
    public void The_microvm_benchmark_runs_once_against_its_bare_qemu_peer()
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "Performance", "bench-microvm.sh"));
        psi.ArgumentList.Add(RepoPaths.SandboxBinary);
        psi.Environment["BENCH_MICROVM_RUNS"] = "1";
        psi.Environment["SANDBOX_BENCH_ROOT"] = _cli.StateRoot;
        psi.Environment["SANDBOX_TEST_CACHE"] = MicroVmHost.CacheDir;
        using var bench = Process.Start(psi) ?? throw new InvalidOperationException("could not start bash");
        var run = SandboxCli.Wait(bench, TimeSpan.FromMinutes(10)); // a peer out of step with the protocol hangs here

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("| sandbox microvm |", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("| bare qemu |", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("sandbox-trace", run.Stdout, StringComparison.Ordinal); // the phase breakdown of one traced run
    }

    public void Dispose() => _cli.Dispose();
}
