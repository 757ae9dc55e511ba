using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sandbox.Runtime;
using Sandbox.Volumes;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox volume create|ls|inspect|rm`: named volumes that outlive every sandbox.</summary>
internal static class VolumeCommand
{
    public static Command Build()
    {
        var volume = new Command("volume", "Manage named volumes (persistent, host-owned, usable from both backends)");
        volume.Subcommands.Add(Create());
        volume.Subcommands.Add(List());
        volume.Subcommands.Add(Inspect());
        volume.Subcommands.Add(Remove());
        volume.Subcommands.Add(Export());
        return volume;
    }

    private static Command Create()
    {
        var name = new Argument<string>("NAME");
        var size = new Option<string?>("--size") { Description = "Fixed size (e.g. 1G): a full volume gives ENOSPC and never uses more host space" };
        var command = new Command("create", "Create a volume") { name, size };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            long? bytes = r.GetValue(size) is { } s ? Quantities.ParseSize(s, "--size") : null;
            var info = await Store(r).CreateAsync(r.GetValue(name)!, bytes, ct).ConfigureAwait(false);
            Console.Out.WriteLine(r.GetValue(GlobalOptions.Json) ? JsonSerializer.Serialize(info, VolumeJsonContext.Default.VolumeInfo) : info.Name);
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("ls", "List volumes");
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            var volumes = Store(r).List();
            if (r.GetValue(GlobalOptions.Json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(volumes.ToList(), VolumeJsonContext.Default.ListVolumeInfo));
                return Task.FromResult(0);
            }

            Console.Out.WriteLine($"{"NAME",-24} {"SIZE",-8} {"IN USE",-7} UNTRUSTED WROTE");
            foreach (var v in volumes)
            {
                string sizeText = v.SizeBytes is { } b ? FormatSize(b) : "-";
                Console.Out.WriteLine($"{v.Name,-24} {sizeText,-8} {(v.InUse ? "yes" : "no"),-7} {(v.WrittenByUntrusted ? "yes" : "no")}");
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Inspect()
    {
        var name = new Argument<string>("NAME");
        var command = new Command("inspect", "Show a volume (JSON)") { name };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(Store(r).Inspect(r.GetValue(name)!), VolumeJsonContext.Default.VolumeInfo));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("NAME");
        var force = new Option<bool>("--force", "-f")
        {
            Description = "Delete even while a sandbox uses it: the data is gone and that sandbox sees an empty, detached directory",
        };
        var command = new Command("rm", "Delete a volume and its data (refused while in use)") { name, force };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            Store(r).Remove(r.GetValue(name)!, r.GetValue(force));
            Console.Out.WriteLine(r.GetValue(name));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Export()
    {
        var name = new Argument<string>("NAME");
        var target = new Argument<string>("DIR|-") { Description = "A directory to create (it must not exist), or - for a tar stream on stdout" };
        var command = new Command("export", "Copy a volume's data out: links are copied, never followed; setuid/setgid bits are dropped; device nodes, FIFOs and sockets are left out")
        {
            name, target,
        };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            using var use = await Store(r).AcquireAsync(r.GetValue(name)!, createIfMissing: false, ct: ct).ConfigureAwait(false);
            string to = r.GetValue(target)!;
            ExportReport report;
            if (to == "-")
            {
                using var stdout = Console.OpenStandardOutput();
                report = VolumeExport.ToTar(use.Info.DataPath, stdout);
            }
            else
            {
                report = VolumeExport.ToDirectory(use.Info.DataPath, to);
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sandbox: exported {report.Files} file(s), {report.Directories} directory(ies), {report.Symlinks} symlink(s) (copied, not followed); setuid/setgid dropped on {report.StrippedSetId}"));
            foreach (string skipped in report.Skipped)
            {
                Console.Error.WriteLine($"sandbox: left out {Sandbox.Host.Printable.Escape(skipped)}: not a file, directory or symlink");
            }

            foreach (string named in report.NotUtf8)
            {
                Console.Error.WriteLine($"sandbox: left out {Sandbox.Host.Printable.Escape(named)}: its name is not UTF-8, which export cannot name yet (copy it from a sandbox)");
            }

            return 0;
        }));
        return command;
    }

    private static VolumeStore Store(ParseResult r) => new(GlobalOptions.StateRootFrom(r));

    private static string FormatSize(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#}G"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#}M"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes}B"),
    };
}
