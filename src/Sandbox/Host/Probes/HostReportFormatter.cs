using System.Text;

namespace Sandbox.Host.Probes;

/// <summary>Pure: renders a <see cref="HostReport"/> as the human-readable `sandbox doctor` table.</summary>
public static class HostReportFormatter
{
    private const int LabelWidth = 17;
    private const int CveLabelWidth = LabelWidth + 3;

    // Continuation lines line up under the assessment: 2 spaces, the CVE label, 1 space.
    private static readonly string Indent = new(' ', 2 + CveLabelWidth + 1);

    public static string ToText(HostReport report)
    {
        var text = new StringBuilder();
        text.Append("sandbox doctor: kernel ").Append(report.Kernel).Append('\n').Append('\n');
        Row(text, "CHECK", "OK", "DETAIL");
        Row(text, "cgroups", report.Cgroup.Ok, report.Cgroup.Detail);
        Row(text, "user namespaces", report.UserNamespaces.Ok, report.UserNamespaces.Detail);
        Row(text, "seccomp", report.Seccomp.Ok, report.Seccomp.Detail);
        Row(text, "overlayfs", report.Overlay.Ok, report.Overlay.Detail);
        Row(text, "idmapped mounts", report.IdMappedMounts.Ok, report.IdMappedMounts.Detail);
        foreach (OciRuntimeResult runtime in report.OciRuntimes)
        {
            Row(text, runtime.Name, runtime.Ok, runtime.Detail);
        }

        Row(text, "kvm", report.Kvm.Ok, report.Kvm.Detail);
        Row(text, "qemu", report.Qemu.Ok, report.Qemu.Detail);
        Row(text, "guest kernel", report.GuestKernel.Ok, report.GuestKernel.Detail);

        AppendCves(text, report.OciRuntimes);

        text.Append('\n');
        AppendBackends(text, report);
        IReadOnlyList<MissingRequirement> missing = HostRequirements.Missing(report);
        foreach (MissingRequirement m in missing)
        {
            text.Append("missing for ").Append(m.Backend).Append(" isolation: ").Append(m.What)
                .Append(": ").Append(m.Remedy).Append('\n');
        }

        if (missing.Count == 0)
        {
            text.Append("nothing missing\n");
        }

        return text.ToString();
    }

    private static void AppendCves(StringBuilder text, IReadOnlyList<OciRuntimeResult> runtimes)
    {
        var installed = runtimes.Where(r => r.Ok && r.Cves.Count > 0).ToList();
        if (installed.Count == 0)
        {
            return;
        }

        text.Append('\n').Append("known OCI runtime CVEs triggered by image content:\n");
        foreach (OciRuntimeResult runtime in installed)
        {
            foreach (CveFinding cve in runtime.Cves)
            {
                text.Append("  ").Append($"{runtime.Name} {cve.Id}".PadRight(CveLabelWidth)).Append(' ')
                    .Append(cve.Assessment).Append('\n');
                if (cve.Status != CveStatus.Fixed)
                {
                    text.Append(Indent).Append("mitigation: ").Append(cve.Mitigation).Append('\n');
                    if (cve.Note is not null)
                    {
                        text.Append(Indent).Append("note: ").Append(cve.Note).Append('\n');
                    }
                }
            }
        }
    }

    private static void AppendBackends(StringBuilder text, HostReport report)
    {
        IReadOnlyList<string> runtimes = HostRequirements.UsableRuntimes(report);
        bool container = !HostRequirements.Missing(report).Any(m => m.Backend == HostRequirements.Container);
        string accelerator = report.Kvm.Kind == KvmKind.Hardware ? "KVM" : "TCG";
        text.Append("container isolation: ")
            .Append(container ? $"available ({string.Join(", ", runtimes)})" : "unavailable").Append('\n');
        text.Append("microVM isolation: ")
            .Append(!report.Qemu.Ok ? "unavailable"
                : report.GuestKernel.Ok ? $"available (QEMU {accelerator})"
                : $"not yet: QEMU {accelerator} works, the guest kernel {report.GuestKernel.Name} is missing").Append('\n');
    }

    private static void Row(StringBuilder text, string label, bool ok, string detail) =>
        Row(text, label, ok ? "yes" : "no", detail);

    private static void Row(StringBuilder text, string label, string ok, string detail) =>
        text.Append(label.PadRight(LabelWidth)).Append(ok.PadRight(5)).Append(detail).Append('\n');
}
