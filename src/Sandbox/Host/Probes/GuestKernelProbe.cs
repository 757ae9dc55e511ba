using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Runtime;

namespace Sandbox.Host.Probes;

/// <summary>Checks the guest kernel a run would boot by default (a preferred built one when installed, else the default) exactly as the run would (installed, hashes, module list).</summary>
public static class GuestKernelProbe
{
    public static GuestKernelResult Run(StateRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var store = new KernelStore(root);
        KernelEntry entry = KernelCatalog.BuiltIn.Choose(null, store.IsInstalled);
        if (!File.Exists(Path.Combine(store.PathOf(entry.Name), KernelStore.ManifestFile)))
        {
            return new GuestKernelResult(false, $"{entry.Name} not fetched; untrusted runs (the default) boot a microVM and need it",
                entry.InstallCommand, entry.Name);
        }

        try
        {
            FetchedKernel kernel = store.Open(entry);
            return new GuestKernelResult(true, $"{entry.Name} {(kernel.Manifest.Build is null ? "fetched" : "built")} and verified ({kernel.Manifest.Package} {kernel.Manifest.Version})", null, entry.Name);
        }
        catch (SandboxException e)
        {
            string detail = e.Message.StartsWith("refused: ", StringComparison.Ordinal) ? e.Message["refused: ".Length..] : e.Message;
            return new GuestKernelResult(false, detail, e.Hint ?? entry.InstallCommand, entry.Name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return new GuestKernelResult(false, $"{entry.Name}: unreadable ({e.Message})", $"install it again: {entry.InstallCommand}", entry.Name);
        }
    }
}
