using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class GuestOciSpecTests
{
    private static readonly OciSeccomp Seccomp = new("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"],
        [new OciSyscallRule(["read", "write"], "SCMP_ACT_ALLOW")]);

    private static GuestPlan Plan(params GuestMount[] volumes) => new(
        ["sh", "-c", "echo hi"], ["PATH=/usr/bin:/bin", "HOME=/root"], "/", 1000, 1000, "sandbox",
        ResourceLimits.Default, Seccomp, volumes);

    [Fact]
    public void Renders_the_guest_config_json() =>
        Snapshot.Match("guest-oci-config.json", OciSpecBuilder.ToJson(GuestOciSpec.Build(
            Plan(new GuestMount("vol0", "/data", ReadOnly: false), new GuestMount("vol1", "/samples", ReadOnly: true)))));

    [Fact]
    public void The_guest_applies_the_container_backend_s_hardening_with_only_the_user_namespace_and_paths_changed()
    {
        var guest = GuestOciSpec.Build(Plan());
        var container = OciSpecBuilder.Build(new ContainerPlan("workload", GuestOciSpec.Rootfs, ["sh", "-c", "echo hi"],
            ["PATH=/usr/bin:/bin", "HOME=/root"], "/", 1000, 1000, IdRange.ForSlot(0), "sandbox", ResourceLimits.Default, Seccomp));

        // Put back what the guest changes on purpose: everything else must be the container's, byte for byte.
        var undone = guest with
        {
            Linux = guest.Linux with
            {
                UidMappings = container.Linux.UidMappings,
                GidMappings = container.Linux.GidMappings,
                Namespaces = container.Linux.Namespaces,
                CgroupsPath = container.Linux.CgroupsPath,
            },
        };
        Assert.Equal(OciSpecBuilder.ToJson(container), OciSpecBuilder.ToJson(undone));
        Assert.True(guest.Root.Readonly);
        Assert.Equal(["mount", "pid", "ipc", "uts", "network", "cgroup"], guest.Linux.Namespaces.Select(n => n.Type));
        Assert.Empty(guest.Linux.UidMappings);
        Assert.Equal(GuestOciSpec.CgroupsPath, guest.Linux.CgroupsPath);
    }

    [Fact]
    public void Volumes_are_nosuid_nodev_binds_of_the_shares_init_mounted()
    {
        var mounts = GuestOciSpec.Build(Plan(new GuestMount("vol1", "/my samples", ReadOnly: true))).Mounts;
        var bind = Assert.Single(mounts, m => m.Type == "bind");
        Assert.Equal("/my samples", bind.Destination);
        Assert.Equal("/run/volumes/vol1", bind.Source);
        Assert.Equal(["rbind", "nosuid", "nodev", "ro"], bind.Options);
    }

    [Fact]
    public void A_terminal_is_a_pty_of_the_launcher_s_size()
    {
        var spec = GuestOciSpec.Build(Plan() with { Terminal = new Sandbox.Host.TerminalSize(30, 100) });
        Assert.True(spec.Process.Terminal);
        Assert.Equal(new OciConsoleSize(30, 100), spec.Process.ConsoleSize);
        Assert.False(GuestOciSpec.Build(Plan()).Process.Terminal);
    }
}
