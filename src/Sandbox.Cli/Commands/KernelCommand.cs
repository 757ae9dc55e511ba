using System.CommandLine;
using System.Text.Json;
using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox kernel ls [--json]`, `sandbox kernel fetch NAME` and `sandbox kernel build NAME`: the microVM guest kernels.</summary>
internal static class KernelCommand
{
    private static readonly Argument<string> Name = new("NAME") { Description = "Catalog name, e.g. debian-6.1, debian-5.10 or minimal-6.1" };

    private static readonly Option<string?> BuildCache = new("--cache")
    {
        Description = "A directory of finished builds by key, shared by state roots on this machine (owned by you, writable by no one else)",
    };

    public static Command Build()
    {
        var kernel = new Command("kernel", "Guest kernels for the microVM backend");
        var ls = new Command("ls", "List the kernel catalog: name, version, source, fetched?, sha256");
        ls.SetAction((r, ct) => ErrorReporter.GuardAsync(() => Task.FromResult(List(r))));
        var fetch = new Command("fetch", "Download a kernel with apt (signatures verified) into the state root");
        fetch.Arguments.Add(Name);
        fetch.SetAction((r, ct) => ErrorReporter.GuardAsync(() => FetchAsync(r, ct)));
        var build = new Command("build", "Compile a minimal kernel from Debian's linux-source package (verified by apt); cached by source, config and toolchain");
        build.Arguments.Add(Name);
        build.Options.Add(BuildCache);
        build.SetAction((r, ct) => ErrorReporter.GuardAsync(() => BuildAsync(r, ct)));
        kernel.Subcommands.Add(ls);
        kernel.Subcommands.Add(fetch);
        kernel.Subcommands.Add(build);
        return kernel;
    }

    private static int List(ParseResult r)
    {
        var store = new KernelStore(GlobalOptions.StateRootFrom(r));
        var catalog = KernelCatalog.BuiltIn;
        string chosen = catalog.Choose(null, store.IsInstalled).Name;
        var rows = catalog.Entries.Select(e =>
        {
            KernelManifest? m = store.ReadManifest(e.Name);
            string? corrupt = m is null ? null : KernelStore.Verify(store.PathOf(e.Name), m);
            string? problem = corrupt ?? (m is null || m.HasModulesOf(e) ? null : "fetched for another module list than the catalog's; fetch it again");
            string status = m is null ? "no" : corrupt is not null ? "CORRUPT" : problem is not null ? "STALE" : "yes";
            string source = $"debian {string.Join("+", e.Sources.Select(s => s.Suite))} {e.Package}{(e.Build is { } b ? $" + {b.ConfigName}" : "")}";
            return new KernelListing(e.Name, e.Description, e.Name == chosen, source, m is not null, m?.Version,
                m?.Package, m?.VmlinuzSha256, m?.DebSha256, problem, status);
        }).ToList();

        if (r.GetValue(GlobalOptions.Json))
        {
            Console.WriteLine(JsonSerializer.Serialize<IReadOnlyList<KernelListing>>(rows, CliJsonContext.Default.IReadOnlyListKernelListing));
            return 0;
        }

        Console.WriteLine($"{"NAME",-13} {"VERSION",-12} {"INSTALLED",-9} {"VMLINUZ SHA256",-16} SOURCE");
        foreach (var row in rows)
        {
            string sha = row.VmlinuzSha256 is { } s ? s[..12] + "..." : "-";
            Console.WriteLine($"{row.Name + (row.Default ? "*" : ""),-13} {row.Version ?? "-",-12} {row.Status,-9} {sha,-16} {row.Source}");
        }

        return 0;
    }

    private static async Task<int> FetchAsync(ParseResult r, CancellationToken ct)
    {
        var entry = KernelCatalog.BuiltIn.Get(r.GetValue(Name));
        var manifest = await new KernelFetcher(GlobalOptions.StateRootFrom(r), Console.Error).FetchAsync(entry, ct).ConfigureAwait(false);
        Console.WriteLine($"{manifest.Name} {manifest.Package} {manifest.Version} vmlinuz sha256:{manifest.VmlinuzSha256}");
        return 0;
    }

    private static async Task<int> BuildAsync(ParseResult r, CancellationToken ct)
    {
        var entry = KernelCatalog.BuiltIn.Get(r.GetValue(Name));
        var manifest = await new KernelBuilder(GlobalOptions.StateRootFrom(r), Console.Error, r.GetValue(BuildCache)).BuildAsync(entry, ct).ConfigureAwait(false);
        Console.WriteLine($"{manifest.Name} {manifest.KernelRelease} from {manifest.Package} {manifest.Version} vmlinux sha256:{manifest.VmlinuzSha256} key {manifest.Build?.Key}");
        return 0;
    }
}
