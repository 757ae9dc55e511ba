using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Sandbox.Runtime;

namespace Sandbox.Host;

/// <summary>
/// A file descriptor for a user namespace whose root is a given host ID range: what an ID-mapped
/// mount needs. Made without forking managed code: `unshare --user sleep` (util-linux) creates the
/// namespace, the launcher (root in the parent namespace) writes its maps, opens /proc/PID/ns/user,
/// and kills the helper. The namespace lives as long as the returned handle.
/// </summary>
public static class UserNamespaceHandle
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    public static SafeFileHandle Create(IdRange range)
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
            return File.OpenHandle(ns, FileMode.Open, FileAccess.Read);
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
