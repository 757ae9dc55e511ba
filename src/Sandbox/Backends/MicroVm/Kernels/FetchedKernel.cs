namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>A fetched kernel whose files matched its manifest when it was opened.</summary>
public sealed record FetchedKernel(KernelEntry Entry, KernelManifest Manifest, string Directory)
{
    public string Vmlinuz => Path.Combine(Directory, Manifest.Image);

    /// <summary>Uncompressed modules in load order.</summary>
    public IEnumerable<string> ModulePaths => Manifest.Modules.Select(m => Path.Combine(Directory, "modules", m.Name + ".ko"));
}
