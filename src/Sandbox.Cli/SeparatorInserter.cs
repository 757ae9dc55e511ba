using System.CommandLine;
using Sandbox.Runtime;

namespace Sandbox.Cli;

/// <summary>
/// Docker's rule for `run IMAGE CMD...`: options end at the first positional argument (the image),
/// so `run busybox sh -c 'x'` passes `-c` to the workload. System.CommandLine needs an explicit
/// `--` for that; this inserts one after the image when the user did not (for `run` and for
/// `policy explain`, which takes the same arguments).
/// </summary>
internal static class SeparatorInserter
{
    /// <summary>Whether the launcher's own options (not the workload's arguments) include --json.</summary>
    public static bool AsksForJson(Command root, string[] args)
    {
        string[] normalized;
        try
        {
            normalized = Insert(root, args);
        }
        catch (SandboxException)
        {
            normalized = args;
        }

        return normalized.TakeWhile(a => a != "--").Any(a => a is "--json" or "--json=true");
    }

    public static string[] Insert(Command root, string[] args) => Locate(root, args).Normalized;

    /// <summary>
    /// Splits the command line into what the parser reads and the workload's command line (everything
    /// after the separator that follows the image), which is passed through untouched: System.CommandLine
    /// caps an argument at 100,000 values, but a workload may take as many as the kernel's ARG_MAX allows.
    /// The workload part is null for commands that take none, or when "--" came before the image.
    /// </summary>
    public static (string[] Parsed, string[]? Workload) Split(Command root, string[] args)
    {
        var (normalized, separator) = Locate(root, args);
        return separator < 0 ? (normalized, null) : (normalized[..(separator + 1)], normalized[(separator + 1)..]);
    }

    private static (string[] Normalized, int Separator) Locate(Command root, string[] args)
    {
        var rootValueOptions = Names(root.Options.Where(TakesValue));
        int verb = 0;
        while (verb < args.Length && args[verb].StartsWith('-'))
        {
            verb += rootValueOptions.Contains(args[verb]) ? 2 : 1;
        }

        if (verb >= args.Length || root.Subcommands.FirstOrDefault(c => c.Name == args[verb]) is not { } command)
        {
            return (args, -1);
        }

        // Descend through verb groups (`policy explain`) to the command that takes the arguments.
        while (command.Subcommands.Count > 0 && verb + 1 < args.Length
            && command.Subcommands.FirstOrDefault(c => c.Name == args[verb + 1]) is { } sub)
        {
            command = sub;
            verb++;
        }

        // Only commands that pass a workload command line (IMAGE [CMD...]) need the separator.
        if (command.Subcommands.Count > 0 || !command.Arguments.Any(a => a.Name == "COMMAND"))
        {
            return (args, -1);
        }

        var options = command.Options.Concat(root.Options).ToList();
        var valueOptions = Names(options.Where(TakesValue));
        var allOptions = Names(options);
        for (int i = verb + 1; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--")
            {
                return (args, -1); // before the image: the parser sorts it out
            }

            if (Bundled(a, allOptions, valueOptions) is { } flags)
            {
                args = [.. args[..i], .. flags, .. args[(i + 1)..]]; // -it is -i -t, as in docker
                a = args[i];
            }

            if (a.StartsWith('-') && a.Length > 1)
            {
                string name = a.Split('=', 2)[0];
                if (!allOptions.Contains(name))
                {
                    throw new SandboxException(ErrorKind.InvalidArgument, $"{command.Name}: unknown option '{name}'",
                        $"sandbox {command.Name} --help lists the options");
                }

                if (valueOptions.Contains(a))
                {
                    i++; // skip the option's value
                }

                continue;
            }

            // a is the image: everything after it belongs to the workload
            return i + 1 < args.Length && args[i + 1] == "--" ? (args, i + 1) : ([.. args[..(i + 1)], "--", .. args[(i + 1)..]], i + 1);
        }

        return (args, -1);
    }

    // "-it": single-letter boolean flags written together; null for anything else.
    private static string[]? Bundled(string a, HashSet<string> all, HashSet<string> withValue)
    {
        if (a.Length < 3 || a[0] != '-' || a[1] == '-' || all.Contains(a))
        {
            return null;
        }

        string[] flags = [.. a[1..].Select(c => "-" + c)];
        return flags.All(f => all.Contains(f) && !withValue.Contains(f)) ? flags : null;
    }

    // Boolean flags accept an optional value in System.CommandLine, but users never give one here.
    private static bool TakesValue(Option o) => o.Arity.MaximumNumberOfValues > 0 && o.ValueType != typeof(bool);

    private static HashSet<string> Names(IEnumerable<Option> options) =>
        options.SelectMany(o => o.Aliases.Append(o.Name)).Concat(["-h", "--help", "-?"]).ToHashSet(StringComparer.Ordinal);
}
