using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Sandbox.Host.Interop;
using Sandbox.Runtime;

namespace Sandbox.Host.Mounts;

/// <summary>
/// A file descriptor for a user namespace whose root is a leased slot's host ID range: what an
/// ID-mapped mount needs. One namespace per slot is made once and pinned (its /proc/PID/ns/user
/// bind-mounted on {pins}/SLOT.user), so a run opens a file instead of spawning a helper process.
/// A pin is trusted only after the kernel shows it maps exactly the slot's range
/// (<see cref="UserNamespaceMaps"/>); otherwise it is replaced. Call only while holding the slot's
/// lease: the lease is what keeps two launchers from replacing the same pin at once.
/// </summary>
public static class UserNamespaceHandle
{
    public const string DefaultDirectory = "/run/sandbox/userns";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    /// <param name="probeDir">A private directory on the file system the mounts will use (the state root), for the map check.</param>
    public static SafeFileHandle ForSlot(int slot, IdRange range, string probeDir, string pins = DefaultDirectory)
    {
        Directory.CreateDirectory(pins, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string pin = Path.Combine(pins, slot.ToString(CultureInfo.InvariantCulture) + ".user");
        string reference = UserNamespaceMaps.EnsureReference(probeDir);
        if (OpenVerified(pin, range, reference) is { } pinned)
        {
            return pinned;
        }

        if (File.Exists(pin))
        {
            while (Unmount.Detach(pin))
            {
                // a stale or foreign pin (possibly stacked): replace it
            }

            File.Delete(pin);
        }

        CreatePinned(range, pin);
        return OpenVerified(pin, range, reference) ?? throw new SandboxException(ErrorKind.HostUnsupported,
            $"could not verify that the user namespace pinned at {pin} maps {UserNamespaceMaps.Describe(range)}: ID-mapping {reference} through it did not show the expected owners",
            "the state root's file system must support ID-mapped mounts (ext4, xfs, btrfs; tmpfs from Linux 6.3); see `sandbox doctor`");
    }

    private static SafeFileHandle? OpenVerified(string pin, IdRange range, string reference)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(pin, FileMode.Open, FileAccess.Read);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        if (NamespaceType.IsUser(handle) && UserNamespaceMaps.Match(handle, range, reference))
        {
            return handle;
        }

        handle.Dispose();
        return null;
    }

    /// <summary>
    /// Made without forking managed code: `unshare --user sleep` (util-linux) creates the namespace,
    /// the launcher (root in the parent namespace) writes its maps and bind-mounts it onto the pin,
    /// then kills the helper; the pin keeps the namespace alive until it is unmounted (or reboot).
    /// </summary>
    private static void CreatePinned(IdRange range, string pin)
    {
        string unshare = ExecutableLocator.Find("unshare")
            ?? throw new SandboxException(ErrorKind.HostUnsupported, "unshare (util-linux) is not installed", "apt-get install util-linux");
        var psi = new ProcessStartInfo(unshare) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (string a in new[] { "--user", "--", "sleep", "30" })
        {
            psi.ArgumentList.Add(a);
        }

        using var helper = Process.Start(psi) ?? throw new SandboxException(ErrorKind.HostUnsupported, "could not start unshare");
        try
        {
            string ns = $"/proc/{helper.Id}/ns/user";
            // The raw link text ("user:[inode]") names the namespace; resolving it as a path would not.
            string ours = new FileInfo("/proc/self/ns/user").LinkTarget ?? string.Empty;
            var clock = Stopwatch.StartNew();
            while (new FileInfo(ns).LinkTarget is not { } theirs || theirs == ours)
            {
                if (clock.Elapsed > Deadline || helper.HasExited)
                {
                    throw new SandboxException(ErrorKind.HostUnsupported, "could not create a user namespace for an ID-mapped mount",
                        "check `sandbox doctor` (user namespaces)");
                }

                Thread.Sleep(1);
            }

            string map = string.Create(CultureInfo.InvariantCulture, $"0 {range.HostStart} {range.Size}\n");
            WriteProcFile($"/proc/{helper.Id}/uid_map", map);
            WriteProcFile($"/proc/{helper.Id}/gid_map", map);
            File.WriteAllBytes(pin, []);
            Mount.Bind(ns, pin);
        }
        finally
        {
            helper.Kill();
            helper.WaitForExit();
        }
    }

    // procfs map files take one write and no truncation (File.WriteAllText's O_TRUNC is refused).
    private static void WriteProcFile(string path, string content)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        file.Write(System.Text.Encoding.ASCII.GetBytes(content));
    }
}
