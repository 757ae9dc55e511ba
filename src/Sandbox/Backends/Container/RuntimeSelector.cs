using Sandbox.Runtime;

namespace Sandbox.Backends.Container;

/// <summary>
/// Picks the OCI runtime: an explicit choice (--runtime, else SANDBOX_RUNTIME via <see cref="SandboxOptions"/>) is obeyed or refused;
/// otherwise crun when a real trial run on this host succeeds, runc when it does not. The trial's
/// verdict is cached per (crun binary, kernel, cgroup layout), so it costs one run per host change.
/// </summary>
public static class RuntimeSelector
{
    public delegate Task<bool> TrialRun(OciRuntime candidate);

    public static async Task<OciRuntime> SelectAsync(StateRoot root, string? explicitName, TrialRun trial)
    {
        if (explicitName is not null)
        {
            if (!OciRuntime.Known.Contains(explicitName))
            {
                throw new SandboxException(ErrorKind.InvalidArgument,
                    $"--runtime: '{explicitName}' is not a supported OCI runtime", "use crun or runc");
            }

            return OciRuntime.Find(explicitName, root) ?? throw Missing(explicitName);
        }

        if (OciRuntime.Find("crun", root) is { } crun && await CrunWorksAsync(root, crun, trial).ConfigureAwait(false))
        {
            return crun;
        }

        return OciRuntime.Find("runc", root) ?? throw Missing("runc");
    }

    private static async Task<bool> CrunWorksAsync(StateRoot root, OciRuntime crun, TrialRun trial)
    {
        string cacheFile = Path.Combine(root.HostCache, "crun-verdict");
        string key = HostKey(crun);
        if (File.Exists(cacheFile) && File.ReadAllText(cacheFile).Split('\n') is [var cachedKey, var verdict, ..] && cachedKey == key)
        {
            return verdict == "works";
        }

        bool works = await trial(crun).ConfigureAwait(false);
        root.Ensure(root.HostCache);
        string temp = $"{cacheFile}.{Guid.NewGuid():N}.tmp"; // concurrent first launches each write their own
        File.WriteAllText(temp, $"{key}\n{(works ? "works" : "fails")}\n");
        File.Move(temp, cacheFile, overwrite: true);
        return works;
    }

    // crun 1.8 refuses cgroup v1 "hybrid" hosts; a kernel or cgroup-layout change can flip the verdict.
    private static string HostKey(OciRuntime crun)
    {
        var binary = new FileInfo(crun.BinaryPath);
        string kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        bool unified = File.Exists("/sys/fs/cgroup/cgroup.controllers");
        bool hybrid = Directory.Exists("/sys/fs/cgroup/unified");
        return $"{binary.Length}:{binary.LastWriteTimeUtc.Ticks}:{kernel}:unified={unified}:hybrid={hybrid}";
    }

    private static SandboxException Missing(string name) => new(ErrorKind.HostUnsupported,
        $"the OCI runtime '{name}' is not installed", $"apt-get install {name} (or run make deps)");
}
