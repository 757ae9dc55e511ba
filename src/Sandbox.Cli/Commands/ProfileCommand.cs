using System.CommandLine;
using System.Text.Json;
using Sandbox.Profiles;
using Sandbox.Profiles.Import;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox profile ls | show NAME | import FILE.json | diff A B`: seccomp profiles for auditors.</summary>
internal static class ProfileCommand
{
    public static Command Build()
    {
        var command = new Command("profile", "List, show, compare and import seccomp profiles");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Import());
        command.Subcommands.Add(Diff());
        return command;
    }

    private static Command List()
    {
        var command = new Command("ls", "List the built-in seccomp profiles");
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            List<ProfileSummary> all = [.. ProfileCatalog.Names.Select(ProfileCatalog.Resolve)
                .Select(p => new ProfileSummary(p.Name, p.Description, p.Groups.Length, ProfileDigest.Sha256(OciSeccompEmitter.Emit(p))))];
            if (r.GetValue(GlobalOptions.Json))
            {
                Console.Out.Write(JsonSerializer.Serialize<IReadOnlyList<ProfileSummary>>(all, ProfileJsonContext.Relaxed.IReadOnlyListProfileSummary) + "\n");
            }
            else
            {
                Console.Out.Write($"{"NAME",-10} {"GROUPS",-6} {"FILTER SHA256",-14} DESCRIPTION\n");
                foreach (ProfileSummary p in all)
                {
                    Console.Out.Write($"{p.Name,-10} {p.Groups,-6} {p.Sha256[..12],-14} {p.Description}\n");
                }
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Show()
    {
        var name = new Argument<string>("NAME") { Description = "A built-in profile name, or a path to a .yaml profile" };
        var command = new Command("show", "Show a profile's groups: action, argument rules, why, and syscalls");
        command.Arguments.Add(name);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            var view = ProfileView.From(ProfileCatalog.Resolve(r.GetValue(name)!));
            Console.Out.Write(r.GetValue(GlobalOptions.Json) ? JsonSerializer.Serialize(view, ProfileJsonContext.Relaxed.ProfileView) + "\n" : view.Human());
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Import()
    {
        var file = new Argument<string>("FILE") { Description = "A Docker/OCI seccomp JSON profile, e.g. /usr/share/containers/seccomp.json" };
        var name = new Option<string?>("--name") { HelpName = "NAME", Description = "Name of the imported profile (default: the file name)" };
        var output = new Option<string?>("--output", "-o") { HelpName = "FILE", Description = "Write the YAML to this new file instead of stdout" };
        var command = new Command("import", "Turn a Docker/OCI seccomp JSON profile into this project's YAML; every group's why is marked to review");
        command.Arguments.Add(file);
        command.Options.Add(name);
        command.Options.Add(output);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            string path = r.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new SandboxException(ErrorKind.InvalidArgument, Directory.Exists(path) ? $"{path}: is a directory, not a profile" : $"{path}: no such file",
                    "give a Docker/OCI seccomp JSON profile, e.g. /usr/share/containers/seccomp.json");
            }

            string profileName = r.GetValue(name) ?? DefaultName(path);
            if (DefaultName(profileName) != profileName)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"--name '{profileName}' is not a valid profile name", "use up to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit");
            }

            ImportResult result = DockerProfileImporter.ImportFile(path, profileName);
            string? target = r.GetValue(output);
            if (target is not null)
            {
                WriteNew(target, result.Yaml);
            }

            if (r.GetValue(GlobalOptions.Json))
            {
                Console.Out.Write(JsonSerializer.Serialize(new ImportView(profileName, target, result.Yaml, result.Notes), ProfileJsonContext.Relaxed.ImportView) + "\n");
                return Task.FromResult(0);
            }

            if (target is null)
            {
                Console.Out.Write(result.Yaml);
            }

            foreach (string note in result.Notes)
            {
                Console.Error.WriteLine($"sandbox: note: {note}");
            }

            Console.Error.WriteLine($"sandbox: imported {result.Profile.Groups.Length} group(s) as profile '{profileName}'{(target is null ? "" : $" into {target}")}; review every group's why before use");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Diff()
    {
        var a = new Argument<string>("A") { Description = "A built-in profile name or a .yaml path" };
        var b = new Argument<string>("B") { Description = "A built-in profile name or a .yaml path" };
        var command = new Command("diff", "List the syscalls and argument rules one profile allows and the other does not");
        command.Arguments.Add(a);
        command.Arguments.Add(b);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            ProfileDiffReport d = ProfileDiff.Compare(ProfileCatalog.Resolve(r.GetValue(a)!), ProfileCatalog.Resolve(r.GetValue(b)!));
            Console.Out.Write(r.GetValue(GlobalOptions.Json) ? JsonSerializer.Serialize(d, ProfileJsonContext.Relaxed.ProfileDiffReport) + "\n" : ProfileDiff.Human(d));
            return Task.FromResult(0);
        }));
        return command;
    }

    // "seccomp.json" -> "seccomp"; kept to the identifier the YAML format accepts (a valid name maps to itself).
    private static string DefaultName(string path)
    {
        string stem = path.EndsWith(".json", StringComparison.Ordinal) || path.Contains('/', StringComparison.Ordinal)
            ? Path.GetFileNameWithoutExtension(path).ToLowerInvariant()
            : path.ToLowerInvariant();
        string clean = new([.. stem.Select(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.' ? c : '-')]);
        clean = clean.TrimStart('-', '_', '.');
        return clean.Length == 0 ? "imported" : clean[..Math.Min(clean.Length, 64)];
    }

    // The whole file or nothing: written beside the target, then renamed over a name that must not exist yet.
    private static void WriteNew(string target, string text)
    {
        if (File.Exists(target) || Directory.Exists(target))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"{target} already exists", "choose a new file name; import never overwrites");
        }

        string tmp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target))!, $".{Path.GetFileName(target)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(tmp, text);
            File.Move(tmp, target, overwrite: false);
        }
        catch (IOException e)
        {
            File.Delete(tmp);
            throw new SandboxException(ErrorKind.InvalidArgument, $"cannot write {target}: {e.Message}", "check the directory exists and is writable");
        }
        catch (UnauthorizedAccessException e)
        {
            File.Delete(tmp);
            throw new SandboxException(ErrorKind.InvalidArgument, $"cannot write {target}: {e.Message}", "check the directory is writable");
        }
    }
}
