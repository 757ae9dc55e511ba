using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sandbox.Images;
using Sandbox.Images.Store;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox image import|ls|inspect|rm`.</summary>
internal static class ImageCommand
{
    public static Command Build()
    {
        var image = new Command("image", "Import, list, inspect and remove images");
        image.Subcommands.Add(Import());
        image.Subcommands.Add(Pull());
        image.Subcommands.Add(List());
        image.Subcommands.Add(Inspect());
        image.Subcommands.Add(Remove());
        return image;
    }

    private static Command Import()
    {
        var path = new Argument<string>("PATH") { Description = "OCI layout directory, oci-archive, docker-archive, or a root filesystem directory or tar" };
        var name = new Option<string?>("--name") { Description = "NAME[:TAG] to register (required for a plain root filesystem; picks the image in a multi-image archive)" };
        var trust = new Option<string>("--trust")
        {
            Description = "untrusted strips setuid/setgid bits; trusted keeps them (they take effect only inside a microVM guest)",
            DefaultValueFactory = _ => "untrusted",
        };
        trust.AcceptOnlyFromAmong("trusted", "untrusted");
        var command = new Command("import", "Import an image from a file or directory") { path, name, trust };
        command.SetAction((r, _) => ErrorReporter.GuardAsync(() =>
        {
            using var interruption = new Interruption();
            try
            {
                ImportResult result = ImageImporter.ImportInterruptibly(GlobalOptions.StateRootFrom(r), r.GetValue(path)!, r.GetValue(name),
                    interruption.Token, trusted: r.GetValue(trust) == "trusted");
                return Task.FromResult(Print(result, r.GetValue(GlobalOptions.Json)));
            }
            catch (OperationCanceledException) when (interruption.Signal != 0)
            {
                return Task.FromResult(interruption.Report("image import"));
            }
        }));
        return command;
    }

    private static Command Pull()
    {
        var reference = new Argument<string>("REF") { Description = "HOST[:PORT]/NAME[:TAG] or HOST[:PORT]/NAME@sha256:DIGEST (http only for 127.0.0.1/localhost)" };
        var command = new Command("pull", "Pull an image from an OCI distribution registry (anonymous)") { reference };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            using var interruption = new Interruption(ct);
            try
            {
                ImportResult result = await ImagePuller.PullAsync(GlobalOptions.StateRootFrom(r), r.GetValue(reference)!, interruption.Token)
                    .ConfigureAwait(false);
                return Print(result, r.GetValue(GlobalOptions.Json));
            }
            catch (OperationCanceledException) when (interruption.Signal != 0)
            {
                return interruption.Report("image pull");
            }
        }));
        return command;
    }

    private static int Print(ImportResult result, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, StoreJsonContext.Default.ImportResult));
            return 0;
        }

        string names = result.Names.Count > 0 ? string.Join(", ", result.Names) : "(no name; use the digest)";
        var rep = result.Report;
        Console.WriteLine($"imported {result.Digest} as {names} ({result.Format}, {rep.Layers} layer(s), {rep.Entries} entries)");
        if (rep.DroppedSpecialFileCount > 0)
        {
            Console.WriteLine($"  dropped {rep.DroppedSpecialFileCount} device node(s)/FIFO(s): {string.Join(' ', rep.DroppedSpecialFiles.Take(5))}");
        }

        if (rep.StrippedSetidCount > 0)
        {
            Console.WriteLine($"  stripped setuid/setgid from {rep.StrippedSetidCount} file(s): {string.Join(' ', rep.StrippedSetid.Take(5))}");
        }

        if (rep.KeptSetidCount > 0)
        {
            Console.WriteLine($"  kept setuid/setgid on {rep.KeptSetidCount} file(s) (trusted import): {string.Join(' ', rep.KeptSetid.Take(5))}");
        }

        if (rep.IgnoredEntries > 0)
        {
            Console.WriteLine($"  ignored {rep.IgnoredEntries} entries under /dev, /proc or /sys (the sandbox mounts fresh ones)");
        }

        return 0;
    }

    private static Command List()
    {
        var command = new Command("ls", "List imported images");
        command.SetAction((r, _) => ErrorReporter.GuardAsync(() =>
        {
            var images = ImageStore.List(GlobalOptions.StateRootFrom(r));
            if (r.GetValue(GlobalOptions.Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(images.ToList(), StoreJsonContext.Default.ListImageSummary));
                return Task.FromResult(0);
            }

            Console.WriteLine($"{"NAME",-40} {"DIGEST",-14} {"SIZE",10}  IMPORTED");
            foreach (var image in images)
            {
                foreach (string name in image.Names.DefaultIfEmpty("<none>"))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name,-40} {Digest.Abbreviate(image.Digest),-14} {Size(image.CompressedSize),10}  {image.ImportedAt:yyyy-MM-dd HH:mm:ss}Z"));
                }
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Inspect()
    {
        var reference = new Argument<string>("REF") { Description = "NAME[:TAG], sha256:DIGEST or a digest prefix" };
        var command = new Command("inspect", "Show an image's config, layers and import report (JSON)") { reference };
        command.SetAction((r, _) => ErrorReporter.GuardAsync(() =>
        {
            var summary = ImageStore.Inspect(GlobalOptions.StateRootFrom(r), r.GetValue(reference)!);
            Console.WriteLine(JsonSerializer.Serialize(summary, StoreJsonContext.Default.ImageSummary));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Remove()
    {
        var reference = new Argument<string>("REF") { Description = "NAME[:TAG] (removes that name), or a digest (removes the image and all its names)" };
        var command = new Command("rm", "Remove an image name or an image, and collect unused blobs") { reference };
        command.SetAction((r, _) => ErrorReporter.GuardAsync(() =>
        {
            string target = r.GetValue(reference)!;
            if (target is BusyboxImage.Name or "busybox:latest") // what `run busybox` resolves to, before the store
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"image rm: '{target}' is the built-in image and cannot be removed",
                    "it is made from the host's /bin/busybox on first use; sandbox image ls lists the imported images you can remove");
            }

            RemoveResult result = ImageStore.Remove(GlobalOptions.StateRootFrom(r), target);
            if (r.GetValue(GlobalOptions.Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(result, StoreJsonContext.Default.RemoveResult));
                return Task.FromResult(0);
            }

            foreach (string name in result.Untagged)
            {
                Console.WriteLine($"untagged {name}");
            }

            if (result.Deleted is { } deleted)
            {
                Console.WriteLine($"deleted {deleted} ({result.BlobsFreed} blob(s) freed)");
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0}GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0}MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0}KiB"),
    };
}
