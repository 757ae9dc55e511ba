using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Sandbox.Backends.Container;
using Sandbox.Host.Mounts;
using Sandbox.Runtime;

namespace Sandbox.Tests.Support;

/// <summary>
/// The suite leaves the host as it found it. Every state root a test uses is registered here; when a
/// test is done with its root, what a killed launcher left is reaped the way the product reaps it
/// (run directories whose owner is gone, abandoned ID leases), anything still left is recorded as a
/// leak, and only then is the root removed (detaching mounts first, never deleting through one).
/// <see cref="HostLeftAsFound"/> fails the run at the end if any root leaked.
/// A shared root (the microVM kernel cache) is used by other test runs on the machine at the same
/// time, so for it only what no live launcher owns counts: run directories left after reaping.
/// </summary>
public static partial class StateRootJanitor
{
    private static readonly ConcurrentDictionary<string, bool> Roots = new(StringComparer.Ordinal); // root -> owned
    private static readonly ConcurrentDictionary<string, byte> SandboxIds = new(StringComparer.Ordinal);
    private static readonly ConcurrentQueue<string> Leaks = new();

    public static void Register(string root, bool owned) => Roots.TryAdd(root, owned);

    /// <summary>Reaps, records leftovers, and (for a root the test owns) removes it.</summary>
    public static void Release(string root, bool remove)
    {
        var state = new StateRoot(root);
        OrphanReaper.ReapRunsAsync(state).GetAwaiter().GetResult();
        OrphanReaper.ReapLeasesAsync(state).GetAwaiter().GetResult();
        if (!remove)
        {
            return; // a shared root is checked once, at the end
        }

        foreach (string id in IdsOf(root))
        {
            SandboxIds.TryAdd(id, 0);
        }

        DetachVolumeStorage(root);

        // A SIGKILLed launcher's `runc run` exits once the reaper deleted its container: give it a moment.
        string[] left = [.. Leftovers([root])];
        for (int i = 0; i < 50 && left.Length > 0; i++)
        {
            Thread.Sleep(100);
            left = [.. Leftovers([root])];
        }

        foreach (string leak in left)
        {
            Leaks.Enqueue(leak);
        }

        try
        {
            SafeRemove.Directory(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Leaks.Enqueue($"state root {root} could not be removed: {e.Message}");
        }
    }

    /// <summary>Everything recorded so far plus what is left of every root now.</summary>
    public static IReadOnlyList<string> AllLeaks()
    {
        string[] shared = [.. Roots.Where(r => !r.Value && Directory.Exists(r.Key)).Select(r => r.Key)];
        foreach (string root in shared)
        {
            Release(root, remove: false);
        }

        return [.. Leaks, .. Leftovers([.. Roots.Where(r => r.Value).Select(r => r.Key)]), .. shared.SelectMany(UnownedRuns)];
    }

    /// <summary>Run directories of a shared root that no live launcher owns, after reaping: a leak whoever made it.</summary>
    private static IEnumerable<string> UnownedRuns(string root)
    {
        string runs = Path.Combine(root, "run");
        foreach (string dir in Directory.Exists(runs) ? Directory.EnumerateDirectories(runs) : [])
        {
            string owner = Path.Combine(dir, OrphanReaper.OwnerFile);
            try
            {
                using var unowned = new FileStream(owner, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // owned by a live launcher, or being set up or torn down right now
            }

            yield return $"run directory {dir} with no live launcher";
        }
    }

    /// <summary>Mounts, ID leases, processes and cgroups that belong to these roots (or their sandboxes).</summary>
    public static IEnumerable<string> Leftovers(IReadOnlyList<string> roots)
    {
        Regex[] patterns = [.. roots.Select(r => new Regex(Regex.Escape(r) + @"(?=[/\s]|$)", RegexOptions.CultureInvariant))];
        bool Ours(string text) => patterns.Any(p => p.IsMatch(text));

        foreach (string mount in File.ReadLines("/proc/self/mountinfo").Select(l => Unescape(l.Split(' ')[4])).Where(Ours))
        {
            yield return $"mount {mount}";
        }

        if (Directory.Exists(IdLease.DefaultDirectory))
        {
            foreach (string lease in Directory.EnumerateFiles(IdLease.DefaultDirectory, "*.lease"))
            {
                if (ReadShared(lease) is { } holder && Ours(holder))
                {
                    yield return $"ID lease {lease} still names {holder.Trim()}";
                }
            }
        }

        foreach (string proc in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string cmdline = (ReadShared(Path.Combine(proc, "cmdline")) ?? "").Replace('\0', ' ');
            if (Ours(cmdline) || (ReadShared(Path.Combine(proc, "cgroup")) is { } cg && SandboxIds.Keys.Any(id => cg.Contains("/" + id, StringComparison.Ordinal))))
            {
                yield return $"process {Path.GetFileName(proc)}: {cmdline.Trim()}";
            }
        }

        foreach (string id in SandboxIds.Keys)
        {
            foreach (string cgroup in new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuset", "/sys/fs/cgroup/unified" }
                .Select(c => Path.Combine(c, "sandbox", id)).Where(Directory.Exists))
            {
                yield return $"cgroup {cgroup}";
            }
        }
    }

    // Volume storage stays mounted on the host (nosuid,nodev) until `volume rm`: product state, not a
    // leak, so it is detached before the check, deepest first.
    private static void DetachVolumeStorage(string root)
    {
        string prefix = Path.Combine(root, "volumes") + "/";
        foreach (string point in File.ReadLines("/proc/self/mountinfo").Select(l => Unescape(l.Split(' ')[4]))
            .Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Distinct().OrderByDescending(p => p.Length))
        {
            Tool.Capture("umount", "-l", point);
        }
    }

    // Sandbox IDs the root ever ran: from its audit log and its run directories.
    private static IEnumerable<string> IdsOf(string root)
    {
        string log = Path.Combine(root, "audit", "audit.log");
        IEnumerable<string> audited = File.Exists(log) ? SandboxId().Matches(ReadShared(log) ?? "").Select(m => m.Value) : [];
        string runs = Path.Combine(root, "run");
        IEnumerable<string> running = Directory.Exists(runs) ? Directory.EnumerateDirectories(runs).Select(Path.GetFileName).OfType<string>() : [];
        return audited.Concat(running).Where(id => id.StartsWith("sb-", StringComparison.Ordinal)).Distinct();
    }

    private static string Unescape(string mountinfoPath) => mountinfoPath.Replace("\\040", " ", StringComparison.Ordinal);

    private static string? ReadShared(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(fs).ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // gone, or locked by a live sandbox (its process shows up instead)
        }
    }

    [GeneratedRegex("sb-[0-9a-f]{12}")]
    private static partial Regex SandboxId();
}
