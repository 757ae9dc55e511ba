using Sandbox.Backends.Container;
using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Container;

public sealed class OciSpecBuilderTests
{
    private static readonly OciSeccomp Seccomp = new("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"],
        [new OciSyscallRule(["read", "write"], "SCMP_ACT_ALLOW")]);

    private static ContainerPlan Plan() => new(
        Id: "sb-0123456789ab",
        RootfsPath: "/var/lib/sandbox/images/busybox/rootfs",
        Args: ["sh", "-c", "echo hi"],
        Env: ["PATH=/usr/bin:/bin", "HOME=/root"],
        WorkingDir: "/",
        Uid: 0,
        Gid: 0,
        Ids: IdRange.ForSlot(3),
        Hostname: "sandbox",
        Limits: ResourceLimits.Default,
        Seccomp: Seccomp);

    [Fact]
    public void Renders_the_hardened_config_json() =>
        Snapshot.Match("oci-config.json", OciSpecBuilder.ToJson(OciSpecBuilder.Build(Plan())));

    [Fact]
    public void Is_deterministic() =>
        Assert.Equal(OciSpecBuilder.ToJson(OciSpecBuilder.Build(Plan())), OciSpecBuilder.ToJson(OciSpecBuilder.Build(Plan())));

    [Fact]
    public void Drops_every_capability_and_sets_no_new_privileges()
    {
        var spec = OciSpecBuilder.Build(Plan());
        var caps = spec.Process.Capabilities;
        Assert.All(new[] { caps.Bounding, caps.Effective, caps.Permitted, caps.Inheritable, caps.Ambient }, Assert.Empty);
        Assert.True(spec.Process.NoNewPrivileges);
        Assert.True(spec.Root.Readonly);
    }

    [Fact]
    public void Maps_container_root_onto_the_leased_range()
    {
        var spec = OciSpecBuilder.Build(Plan());
        var map = Assert.Single(spec.Linux.UidMappings);
        Assert.Equal((0u, IdRange.Base + (3 * IdRange.SlotSize), IdRange.SlotSize), (map.ContainerId, map.HostId, map.Size));
    }

    [Fact]
    public void Unshares_every_namespace_including_network()
    {
        var types = OciSpecBuilder.Build(Plan()).Linux.Namespaces.Select(n => n.Type);
        Assert.Equal(["user", "mount", "pid", "ipc", "uts", "network", "cgroup"], types);
    }

    [Fact]
    public void Applies_resource_limits()
    {
        var plan = Plan() with { Limits = ResourceLimits.Default with { MemoryBytes = 64L << 20, PidsLimit = 64, Cpus = 0.5 } };
        var resources = OciSpecBuilder.Build(plan).Linux.Resources;
        Assert.Equal(64L << 20, resources.Memory!.Limit);
        Assert.Equal(64L << 20, resources.Memory.Swap);
        Assert.Equal(64, resources.Pids!.Limit);
        Assert.Equal(50_000, resources.Cpu!.Quota);
    }
}
