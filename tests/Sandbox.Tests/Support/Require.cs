namespace Sandbox.Tests.Support;

/// <summary>
/// Gates for privileged or engine-dependent tests. Locally a missing requirement skips with its reason;
/// under CI=true it fails, because CI installs every requirement and a skip there would hide a gap.
/// A property of the host's kernel or hardware (no /dev/kvm, no 32-bit syscall entry) is different:
/// no install provides it, so <see cref="HostHas"/> skips with the reason everywhere, CI included.
/// </summary>
public static class Require
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static void Root()
    {
        if (Tmds.Linux.LibC.geteuid() != 0)
        {
            Missing("this test needs root (it creates namespaces, cgroups and ID-mapped containers)");
        }
    }

    public static string Tool(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Missing($"this test needs '{name}' on PATH (make deps installs it)");
        return name;
    }

    public static void That(bool condition, string reason)
    {
        if (!condition)
        {
            Missing(reason);
        }
    }

    /// <summary>
    /// Skips (under CI too) where the host lacks a kernel or hardware property the test is about.
    /// Only for what `make deps` cannot install: the reason must say which property is absent.
    /// </summary>
    public static void HostHas(bool property, string reason)
    {
        if (!property)
        {
            Assert.Skip($"host property: {reason}");
        }
    }

    private static void Missing(string reason)
    {
        if (InCi)
        {
            Assert.Fail($"CI=true and a requirement is missing: {reason}");
        }

        Assert.Skip(reason);
    }
}
