using System.Globalization;

namespace Sandbox.Policy;

/// <summary>The words the policy file, explain output and audit log use for enum values and quantities.</summary>
public static class PolicyNames
{
    public static string Trust(TrustLevel t) => t == TrustLevel.Trusted ? "trusted" : "untrusted";

    public static string Backend(BackendKind b) => b switch
    {
        BackendKind.Container => "container",
        BackendKind.MicroVm => "microvm",
        _ => "auto",
    };

    public static string Accelerator(Accelerator a) => a switch
    {
        Policy.Accelerator.Kvm => "kvm",
        Policy.Accelerator.Emulation => "emulation",
        _ => "none",
    };

    public static string Key(TextFact f) => f switch
    {
        TextFact.Image => "image",
        TextFact.Digest => "digest",
        TextFact.Command => "command",
        _ => "network",
    };

    public static string Key(SetFact f) => f switch
    {
        SetFact.Capabilities => "capabilities",
        SetFact.Devices => "devices",
        SetFact.Volumes => "volumes",
        SetFact.PathImage => "pathImage",
        _ => "binds",
    };

    public static string Key(ResourceFact f) => f switch
    {
        ResourceFact.Memory => "memory",
        ResourceFact.Cpus => "cpus",
        _ => "pids",
    };

    /// <summary>A duration as the largest exact unit: 5400s -> "90m".</summary>
    public static string Duration(TimeSpan d) =>
        d.TotalSeconds % 3600 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds / 3600}h")
        : d.TotalSeconds % 60 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds / 60}m")
        : string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.###}s");

    /// <summary>Bytes as the largest exact binary unit: 536870912 -> "512M".</summary>
    public static string Size(long bytes)
    {
        foreach ((string unit, int shift) in new[] { ("T", 40), ("G", 30), ("M", 20), ("K", 10) })
        {
            if (bytes >= 1L << shift && bytes % (1L << shift) == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{bytes >> shift}{unit}");
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    public static string Number(double d) => d.ToString(CultureInfo.InvariantCulture);
}
