using Sandbox.Audit;
using Sandbox.Cli.Commands;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Cli;

/// <summary>`audit show` of a keyed record with its workload facts is pinned, like `policy explain`.</summary>
public sealed class AuditShowSnapshotTests
{
    [Fact]
    public void A_record_with_facts_and_a_mac_shows_both()
    {
        var record = new AuditRecord
        {
            Seq = 7,
            Sandbox = "sb-0123456789ab",
            Time = "2026-12-07T04:00:00.000Z",
            Uid = 0,
            LoginUid = 1000,
            Command = ["sh", "-c", "true"],
            Image = new AuditImage("busybox", null),
            Policy = new AuditPolicy("builtin:profiles/policy.yaml", new string('b', 64)),
            Facts = new AuditFacts("trusted", "auto", "busybox", null, new SortedDictionary<string, string>(), ["sh", "-c", "true"], [], [],
                [new AuditVolumeRequest("data", "/data", true, true)], [], "none", null, null, null, null, null, "6.1.0-18-amd64"),
            Rule = new AuditRule("trusted-to-container", "builtin:profiles/policy.yaml", 43),
            Outcome = "exited",
            ExitCode = 0,
            Prev = new string('0', 64),
            Hash = new string('c', 64),
            Mac = new string('d', 64),
        };
        Snapshot.Match("audit-show-keyed.txt", AuditView.Detail(record));
    }

    [Fact]
    public void A_microvm_record_shows_what_was_applied_in_words_with_its_limits_and_mounts()
    {
        var record = new AuditRecord
        {
            Seq = 8,
            Sandbox = "sb-0123456789ab",
            Time = "2026-12-08T04:00:00.000Z",
            Uid = 0,
            Command = ["perl", "/data/svc.pl"],
            Image = new AuditImage("deb:12", null),
            Outcome = "started",
            Applied = new AppliedHardening
            {
                Backend = "microvm",
                Engine = "crun in the guest, under qemu (jailed by runc)",
                SeccompProfile = "default",
                SeccompSha256 = new string('5', 64),
                Capabilities = new CapabilitySets([], [], [], [], []),
                Namespaces = ["mount", "pid", "ipc", "uts", "network", "cgroup"],
                ReadonlyRoot = true,
                NoNewPrivileges = true,
                Network = "none",
                Limits = new AppliedLimits(536870912, 100000, 100000, 256),
                Volumes = [new AppliedVolume("/data", false, "virtio-9p"), new AppliedVolume("/ref", true, "virtio-9p")],
                Kernel = "minimal-5.10",
                Accelerator = "emulation",
                Vmm = new VmmConfinement(1000065536, 1000065536, true, ["user", "mount"], [], null),
            },
            Prev = new string('0', 64),
            Hash = new string('c', 64),
        };
        Snapshot.Match("audit-show-applied.txt", AuditView.Detail(record));
    }
}
