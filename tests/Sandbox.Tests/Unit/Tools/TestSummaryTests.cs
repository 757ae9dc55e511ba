using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Tools;

/// <summary>`make test`'s summary (tools/test-summary.sh) over a log in the format `dotnet test` writes at normal verbosity.</summary>
public sealed class TestSummaryTests : IDisposable
{
    private readonly string _log = Path.Combine(Directory.CreateTempSubdirectory("sandbox-summary-").FullName, "test.log");

    private const string Log = """
        [xUnit.net 00:00:04.98]     Sandbox.Tests.Security.SeccompDenialTests.The_i386_syscall_table_is_not_a_way_around_the_filter [SKIP]
        [xUnit.net 00:00:04.98]       host property: the host has no usable 32-bit syscall entry
          Skipped Sandbox.Tests.Security.SeccompDenialTests.The_i386_syscall_table_is_not_a_way_around_the_filter [1 ms]
        [xUnit.net 00:00:05.10]     Sandbox.Tests.Security.VmmJailTests.Under_kvm_the_jailed_vmm_opens_dev_kvm_and_stays_confined [SKIP]
        [xUnit.net 00:00:05.10]       host property: no /dev/kvm on this host
        [xUnit.net 00:00:05.20]     Sandbox.Tests.Other.Twice(x: 1) [SKIP]
        [xUnit.net 00:00:05.20]       host property: no /dev/kvm on this host
          Passed Sandbox.Tests.Unit.Something [2 ms]
        [xUnit.net 00:00:11.18]     [Test Assembly Cleanup Failure (/repo/tests/Sandbox.Tests/bin/Release/net10.0/Sandbox.Tests.dll)] Xunit.Sdk.TestPipelineException
        [xUnit.net 00:00:11.18]       Assembly fixture type 'Sandbox.Tests.Support.HostLeftAsFound' threw in Dispose
        [xUnit.net 00:00:11.18]       ---- System.InvalidOperationException : the test suite left 1 thing(s) of its state roots on the host:
        [xUnit.net 00:00:11.18]         mount /tmp/sandbox-test-root-OdjrTG/run/sb-0123456789ab/image
        [xUnit.net 00:00:11.18]       Stack Trace:

        Test Run Failed.
        Total tests: 771
             Passed: 767
             Failed: 1
            Skipped: 3
         Total time: 9.1 Minutes
        """;

    [Fact]
    public void Prints_each_skip_reason_with_its_count_the_final_check_and_the_closing_line()
    {
        File.WriteAllText(_log, Log + "\n");
        string summary = Tool.Run("bash", Path.Combine(RepoPaths.Root, "tools", "test-summary.sh"), _log);
        Assert.Equal(
            """
            tests: skipped, by reason:
              2x  host property: no /dev/kvm on this host
              1x  host property: the host has no usable 32-bit syscall entry
            tests: the suite's final check failed:
              System.InvalidOperationException : the test suite left 1 thing(s) of its state roots on the host:
                mount /tmp/sandbox-test-root-OdjrTG/run/sb-0123456789ab/image
            tests: 767 passed, 1 failed, 3 skipped; the final host check failed (above)

            """, summary);
    }

    [Fact]
    public void A_clean_run_prints_only_the_closing_line()
    {
        File.WriteAllText(_log, "Test Run Successful.\nTotal tests: 5\n     Passed: 5\n Total time: 1 Seconds\n");
        Assert.Equal("tests: 5 passed, 0 failed, 0 skipped\n", Tool.Run("bash", Path.Combine(RepoPaths.Root, "tools", "test-summary.sh"), _log));
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_log)!, recursive: true);
}
