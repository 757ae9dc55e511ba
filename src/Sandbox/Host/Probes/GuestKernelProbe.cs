using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Runtime;

namespace Sandbox.Host.Probes;

/// <summary>Checks the default guest kernel exactly as a microVM run would (fetched, hashes, module list).</summary>
public static class GuestKernelProbe
{
    public static GuestKernelResult Run(StateRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        KernelEntry entry = KernelCatalog.BuiltIn.Get(null);
        var store = new KernelStore(root);
        if (!File.Exists(Path.Combine(store.PathOf(entry.Name), KernelStore.ManifestFile)))
        {
            return new GuestKernelResult(false, $"{entry.Name} not fetched; untrusted runs (the default) boot a microVM and need it",
                $"sandbox kernel fetch {entry.Name}", entry.Name);
        }

        try
        {
            FetchedKernel kernel = store.Open(entry);
            return new GuestKernelResult(true, $"{entry.Name} fetched and verified ({kernel.Manifest.Package} {kernel.Manifest.Version})", null, entry.Name);
        }
        catch (SandboxException e)
        {
            string detail = e.Message.StartsWith("refused: ", StringComparison.Ordinal) ? e.Message["refused: ".Length..] : e.Message;
            return new GuestKernelResult(false, detail, e.Hint ?? $"sandbox kernel fetch {entry.Name}", entry.Name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return new GuestKernelResult(false, $"{entry.Name}: unreadable ({e.Message})", $"fetch it again: sandbox kernel fetch {entry.Name}", entry.Name);
        }
    }
}
