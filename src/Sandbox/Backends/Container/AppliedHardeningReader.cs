using System.Text.Json;
using Sandbox.Audit;
using Sandbox.Profiles;
using Sandbox.Runtime;

namespace Sandbox.Backends.Container;

/// <summary>
/// Reports the hardening of a container from the config.json it was actually started with, read
/// back from the bundle on disk: the audit log records what the runtime was given, not what the
/// decision intended.
/// </summary>
public static class AppliedHardeningReader
{
    public static AppliedHardening FromBundle(string configJsonPath, string runtime, string seccompProfile)
    {
        OciSpec spec;
        try
        {
            spec = JsonSerializer.Deserialize(File.ReadAllBytes(configJsonPath), OciJsonContext.Default.OciSpec)
                ?? throw new JsonException("config.json is null");
        }
        catch (JsonException e)
        {
            throw new SandboxException(ErrorKind.EngineFailed, $"cannot read back {configJsonPath}: {e.Message}");
        }

        return FromSpec(spec, runtime, seccompProfile);
    }

    public static AppliedHardening FromSpec(OciSpec spec, string runtime, string seccompProfile)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var caps = spec.Process.Capabilities;
        var linux = spec.Linux;
        var namespaces = linux.Namespaces.Select(n => n.Type).ToList();
        return new AppliedHardening
        {
            Backend = "container",
            Engine = runtime,
            SeccompProfile = linux.Seccomp is null ? null : seccompProfile,
            SeccompSha256 = linux.Seccomp is { } s ? ProfileDigest.Sha256(s) : null,
            Capabilities = new CapabilitySets(caps.Bounding, caps.Effective, caps.Inheritable, caps.Permitted, caps.Ambient),
            UidMap = [.. linux.UidMappings.Select(m => new IdMap(m.ContainerId, m.HostId, m.Size))],
            GidMap = [.. linux.GidMappings.Select(m => new IdMap(m.ContainerId, m.HostId, m.Size))],
            Namespaces = namespaces,
            ReadonlyRoot = spec.Root.Readonly,
            NoNewPrivileges = spec.Process.NoNewPrivileges,
            // A fresh network namespace with no interfaces configured leaves only loopback; the guest's
            // sinkhole namespace (analyze --network sinkhole) has only loopback too, answered in the guest.
            Network = linux.Namespaces.FirstOrDefault(n => n.Type == "network") switch
            {
                null => "host",
                { Path: null } => "none",
                { Path: Analysis.Sinkhole.Sinkhole.NetnsPath } => "sinkhole",
                { Path: var joined } => $"joined {joined}",
            },
            Limits = new AppliedLimits(linux.Resources.Memory?.Limit, linux.Resources.Cpu?.Quota, linux.Resources.Cpu?.Period, linux.Resources.Pids?.Limit),
            // The workload's only bind mounts are its volumes and host paths, staged by the launcher.
            Volumes = [.. spec.Mounts.Where(m => m.Type == "bind" && m.Destination != Exec.ExecShim.SandboxPath && m.Destination != Init.SandboxInit.SandboxPath).Select(m => new AppliedVolume(
                m.Destination, m.Options.Contains("ro"),
                (IsHostPath(m) ? "host path bind mount, not ID-mapped" : "ID-mapped bind mount")
                    + " (" + string.Join(',', m.Options.Where(o => o is "nosuid" or "nodev" or "ro" or "rw")) + ")"))],
            // --init: the process the runtime starts is sandbox-init, bound from outside the image.
            Init = spec.Process.Args is [Init.SandboxInit.SandboxPath, ..] && spec.Mounts.Any(m => m.Destination == Init.SandboxInit.SandboxPath)
                ? Init.SandboxInit.Name : null,
        };
    }

    private static bool IsHostPath(OciMount m) => Path.GetFileName(Path.GetDirectoryName(m.Source)) == VolumeMounts.HostBindsDir;
}
