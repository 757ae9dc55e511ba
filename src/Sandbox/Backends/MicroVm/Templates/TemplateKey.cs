using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Backends.MicroVm.Templates;

/// <summary>
/// Everything a saved VM state depends on: a restore only works (and is only the same guest) with
/// the same kernel, initramfs, root disk, memory, vCPUs, machine, kernel command line, accelerator
/// and QEMU build, and the same template format. Any difference is another template. Pure.
/// </summary>
/// <param name="KernelSha256">The guest kernel's digest (its manifest's).</param>
/// <param name="Initramfs">The initramfs archive's name: itself a digest of everything in it (init, crun, the identity helper).</param>
/// <param name="RootDisk">The root disk's name: a digest of the image's tree.</param>
/// <param name="QemuSha256">The QEMU binary's digest: its device models and migration format.</param>
public sealed record TemplateKey(
    string KernelSha256, string Initramfs, string RootDisk, long MemoryMiB, int Cpus, string Accelerator,
    IReadOnlyList<string> MachineOptions, IReadOnlyList<string> KernelCommandLine, string QemuSha256)
{
    /// <summary>Bumped whenever the template's device model or the capture point in init changes.</summary>
    public const string FormatVersion = "sandbox-vm-template-1";

    /// <summary>The key as text, one field a line: stored in the template's manifest and compared whole.</summary>
    public string Text => new StringBuilder(FormatVersion).Append('\n')
        .Append("kernel ").Append(KernelSha256).Append('\n')
        .Append("initramfs ").Append(Initramfs).Append('\n')
        .Append("disk ").Append(RootDisk).Append('\n')
        .Append(CultureInfo.InvariantCulture, $"memory {MemoryMiB}M\n")
        .Append(CultureInfo.InvariantCulture, $"cpus {Cpus}\n")
        .Append("accelerator ").Append(Accelerator).Append('\n')
        .Append("machine ").Append(string.Join(',', MachineOptions)).Append('\n')
        .Append("append ").Append(string.Join(' ', KernelCommandLine)).Append('\n')
        .Append("qemu ").Append(QemuSha256).Append('\n')
        .ToString();

    /// <summary>SHA-256 of <see cref="Text"/>: the template's name.</summary>
    public string Digest => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Text)));
}
