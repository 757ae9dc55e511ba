using System.Diagnostics;
using System.Runtime.InteropServices;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// CVE-2021-30465 run for real: while a concurrent writer keeps swapping a path inside a shared volume
/// between a directory and a symlink out of it (to a host canary directory and to /), victims start
/// sandboxes that mount that volume and a second one. Every victim must see the second volume at
/// exactly its target, the canary must never change or get a mount, nothing may stay mounted, and the
/// nested layout the CVE needs (a target inside the shared volume) must be refused before anything runs.
/// </summary>
public sealed class VolumeSymlinkRaceTests : IDisposable
{
    private const int Victims = 30;
    private const int AtOnce = 3;

    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly Canary _canary = new();
    private long _swaps;
    private int _bindsSeen;

    [Fact]
    public async Task A_symlink_swapped_inside_a_shared_volume_never_redirects_a_mount()
    {
        Assert.Equal(0, _cli.Run("volume", "create", "shared").ExitCode);
        Assert.Equal(0, _cli.Run("volume", "create", "second").ExitCode);
        string sharedData = VolumeData("shared");
        File.WriteAllText(Path.Combine(VolumeData("second"), "marker"), "second\n");

        using var stop = new CancellationTokenSource();
        var strayMounts = new List<string>();
        Task attacker = Task.Factory.StartNew(() => Swap(sharedData, stop.Token), TaskCreationOptions.LongRunning);
        Task watcher = Task.Factory.StartNew(() => WatchMounts(strayMounts, stop.Token), TaskCreationOptions.LongRunning);
        var clock = Stopwatch.StartNew();
        try
        {
            // The CVE's layout: the second volume's target lies inside the shared one, through the swapped path.
            foreach (string[] nested in new[]
            {
                new[] { "-v", "shared:/vol", "-v", "second:/vol/x" },
                ["-v", "second:/vol/x/deeper", "-v", "shared:/vol"],
                ["-v", "shared:/vol", "-v", "second://vol//x/"],
            })
            {
                var refused = _cli.Run(["run", "--trust", "trusted", .. nested, "busybox", "true"], stdin: null);
                Assert.Equal(125, refused.ExitCode);
                Assert.Contains("is at or inside /vol", refused.Stderr, StringComparison.Ordinal);
                Assert.Equal("", refused.Stdout);
            }

            // Allowed layouts, each with a target named like the swapped path; the victim reports where its second volume is.
            const string Probe = "cat /x/marker && echo \"$1\" > /x/seen-$1 && grep -cE ' /(x|vol) ' /proc/self/mountinfo";
            var results = new CliRun[Victims];
            await ForEachAtOnce(Victims, i =>
            {
                string[] order = i % 2 == 0 ? ["-v", "shared:/vol", "-v", "second:/x"] : ["-v", "second:/x", "-v", "shared:/vol"];
                results[i] = _cli.Run(["run", "--trust", "trusted", .. order, "busybox", "sh", "-c", Probe, "probe", i.ToString(System.Globalization.CultureInfo.InvariantCulture)], stdin: null);
            });
            for (int i = 0; i < Victims; i++)
            {
                Assert.True(results[i].ExitCode == 0, $"victim {i}: {results[i]}");
                Assert.Equal("second\n2\n", results[i].Stdout); // the marker, and exactly the two volume mounts
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(attacker, watcher);
        }

        Assert.True(_swaps > Victims * 10, $"the attacker swapped only {_swaps} times in {clock.Elapsed}");
        Assert.Equal(Victims, Directory.EnumerateFiles(VolumeData("second"), "seen-*").Count()); // every write landed in the volume
        Assert.Empty(strayMounts);
        Assert.True(_bindsSeen > 0, "the mount watcher never saw a volume bind, so it proves nothing");
        _canary.AssertUnchanged();
        string mine = _cli.StateRoot + "/";
        string storage = mine + "volumes/"; // each volume's own host-side (nosuid,nodev) storage mount stays until `volume rm`
        Assert.DoesNotContain(MountPoints(), m => (m.StartsWith(mine, StringComparison.Ordinal) && !m.StartsWith(storage, StringComparison.Ordinal))
            || m.StartsWith(_canary.Dir, StringComparison.Ordinal));
    }

    // The concurrent writer: "x" in the volume's data is a directory, then a link to the canary, then a link to /.
    private void Swap(string data, CancellationToken stop)
    {
        string x = Path.Combine(data, "x");
        string staged = Path.Combine(data, "x.new");
        while (!stop.IsCancellationRequested)
        {
            try
            {
                Directory.CreateDirectory(x);
                Directory.Delete(x);
                File.CreateSymbolicLink(staged, _canary.Dir);
                Rename(staged, x);
                File.CreateSymbolicLink(staged, "/");
                Rename(staged, x); // atomically replaces one link by the next
                File.Delete(x);
                Interlocked.Increment(ref _swaps);
            }
            catch (IOException)
            {
                // nothing else writes here, but never let a failed step end the attack: start the round afresh
                Clear(x);
                Clear(staged);
            }
        }

        Directory.CreateDirectory(x);
    }

    // File.Move would check the source by following the link (to a directory) and refuse.
    private static void Rename(string from, string to)
    {
        if (rename(from, to) != 0)
        {
            throw new IOException($"rename {from} {to}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int rename(string oldpath, string newpath);

    private static void Clear(string path)
    {
        try
        {
            if (new FileInfo(path).LinkTarget is null && Directory.Exists(path))
            {
                Directory.Delete(path);
            }
            else
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
        }
    }

    // A redirected mount shows as a mount under the canary, a new mount on / or on the canary's parent, or
    // content of this test's state root (a volume) mounted outside it. Mounts of tests running beside
    // this one match none of these.
    private void WatchMounts(List<string> stray, CancellationToken stop)
    {
        string mine = _cli.StateRoot + "/";
        string[] watched = ["/", Path.GetDirectoryName(_canary.Dir)!];
        var before = Mounts().Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        while (!stop.IsCancellationRequested)
        {
            foreach ((string id, string root, string point) in Mounts())
            {
                bool underCanary = point == _canary.Dir || point.StartsWith(_canary.Dir + "/", StringComparison.Ordinal);
                bool newOnWatched = !before.Contains(id) && watched.Contains(point);
                bool mineElsewhere = root.StartsWith(mine, StringComparison.Ordinal) && !point.StartsWith(mine, StringComparison.Ordinal);
                if (root.StartsWith(mine, StringComparison.Ordinal) && point.StartsWith(mine, StringComparison.Ordinal))
                {
                    _bindsSeen++; // a volume bind where it belongs: proof the watcher sees the launcher's mounts
                }

                string entry = $"{root} on {point}";
                if ((underCanary || newOnWatched || mineElsewhere) && !stray.Contains(entry))
                {
                    stray.Add(entry);
                }
            }

            Thread.Sleep(2);
        }
    }

    // mountinfo: ID, parent ID, major:minor, root (the path mounted, within its filesystem), mount point, ...
    private static IEnumerable<(string Id, string Root, string Point)> Mounts() =>
        File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')).Select(f => (f[0], Unescape(f[3]), Unescape(f[4])));

    private static IEnumerable<string> MountPoints() => Mounts().Select(m => m.Point);

    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());

    private string VolumeData(string name) => Path.Combine(_cli.StateRoot, "volumes", name, "data");

    private static async Task ForEachAtOnce(int count, Action<int> body)
    {
        using var slots = new SemaphoreSlim(AtOnce);
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            await slots.WaitAsync();
            try
            {
                body(i);
            }
            finally
            {
                slots.Release();
            }
        })));
    }

    public void Dispose()
    {
        _canary.Dispose();
        _cli.Dispose();
    }
}
