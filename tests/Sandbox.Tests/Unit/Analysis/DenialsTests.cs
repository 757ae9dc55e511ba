using Sandbox.Analysis;

namespace Sandbox.Tests.Unit.Analysis;

/// <summary>Seccomp refusals from the guest kernel's audit records: numbers only, the sample's pids only.</summary>
public sealed class DenialsTests
{
    private const string Log =
        "[    9.1] audit: type=1326 audit(1.2:3): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=173 comm=\"sample\" exe=\"/sample/sample\" sig=0 arch=c000003e syscall=250 compat=0 ip=0x4 code=0x50000\n"
        + "[    9.2] audit: type=1326 audit(1.2:4): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=174 comm=6120706964 exe=\"/sample/sample\" sig=0 arch=c000003e syscall=101 compat=0 ip=0x4 code=0x50000\n"
        + "[    9.3] audit: type=1326 audit(1.2:5): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=174 comm=6120706964 exe=\"/sample/sample\" sig=0 arch=c000003e syscall=101 compat=0 ip=0x4 code=0x50000\n"
        + "[    9.4] audit: type=1326 audit(1.2:6): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=40 comm=\"crun\" exe=\"/usr/bin/crun\" sig=0 arch=c000003e syscall=101 compat=0 ip=0x4 code=0x80000000\n";

    [Fact]
    public void Refusals_are_counted_per_syscall_for_the_sample_s_processes_only()
    {
        var d = Denials.From(Log, new HashSet<int> { 173, 174 });
        Assert.True(d.Collected);
        Assert.Equal([new ReportDenial("ptrace", 2, 174, "errno"), new ReportDenial("keyctl", 1, 173, "errno")], d.Syscalls);
    }

    [Fact]
    public void No_log_is_said_not_collected() => Assert.False(Denials.From(null, new HashSet<int>()).Collected);
}
