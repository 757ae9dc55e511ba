namespace Sandbox.Tests.Support;

/// <summary>
/// A root filesystem directory holding busybox and the attack probe at /probe, for running the
/// probe inside a sandbox. Built once per test run, world-traversable like a real image.
/// </summary>
public static class ProbeImage
{
    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => Built.Value;

    private static string Build()
    {
        string probe = ProbeBinary.Path;
        string root = TestTemp.Directory("sandbox-probe-image-");
        foreach (string dir in new[] { "bin", "proc", "sys", "dev", "tmp", "etc" })
        {
            Directory.CreateDirectory(System.IO.Path.Combine(root, dir));
        }

        File.Copy("/bin/busybox", System.IO.Path.Combine(root, "bin", "busybox"));
        foreach (string applet in new[] { "sh", "cat", "ls", "id", "wc", "head", "readlink", "stat", "sleep", "echo", "hostname", "true" })
        {
            File.CreateSymbolicLink(System.IO.Path.Combine(root, "bin", applet), "busybox");
        }

        File.Copy(probe, System.IO.Path.Combine(root, "probe"));
        foreach (string entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root))
        {
            if (File.GetAttributes(entry).HasFlag(FileAttributes.ReparsePoint))
            {
                continue;
            }

            File.SetUnixFileMode(entry, (UnixFileMode)0b111_101_101); // 0755: readable by the sandbox's mapped root
        }

        return root;
    }
}
