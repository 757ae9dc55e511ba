using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Profiles;

/// <summary>Turns the root mapping of a profile document into a <see cref="SeccompProfile"/>.</summary>
internal static class ProfileParser
{
    private const string SupportedArch = "x86_64";

    public static SeccompProfile Read(YamlReader r, YamlNode root)
    {
        YamlMappingNode map = r.Mapping(root, "the profile");
        YamlFields f = r.Fields(map, "the profile", ["name", "description", "defaultAction", "architectures", "groups"], ["defaultErrno"]);
        string name = Identifier(r, f["name"], "profile name");
        string description = r.Text(f["description"], "description", "say in a sentence what the profile is for");
        SeccompAction defaultAction = ReadDefaultAction(r, f["defaultAction"]);
        string? defaultErrno = ReadDefaultErrno(r, f, defaultAction);
        ImmutableArray<string> architectures = ReadArchitectures(r, f["architectures"]);

        YamlSequenceNode list = r.Sequence(f["groups"], "groups");
        if (list.Children.Count == 0)
        {
            throw r.Fail(f["groups"], "groups is empty, so the profile would deny every syscall", "add groups listing the syscalls the workload needs");
        }

        var groups = new GroupParser(r, defaultAction, defaultErrno);
        return new SeccompProfile(name, description, defaultAction, defaultErrno, architectures, [.. list.Children.Select(groups.Read)]);
    }

    /// <summary>Lower-case letters, digits, '-', '_' and '.', starting with a letter or digit.</summary>
    public static string Identifier(YamlReader r, YamlNode node, string what)
    {
        string text = r.Text(node, what, $"give the {what} in lower-case kebab-case");
        bool valid = text.Length <= 64
            && (char.IsAsciiLetterLower(text[0]) || char.IsAsciiDigit(text[0]))
            && text.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.');
        return valid ? text : throw r.Fail(node, $"{what} '{text}' is not a valid identifier", "use up to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit");
    }

    public static string Errno(YamlReader r, YamlNode node)
    {
        string text = r.Text(node, "errno", "use an errno name such as EPERM");
        return ErrnoTable.TryGetNumber(text, out _)
            ? text
            : throw r.Fail(node, $"unknown errno '{text}'{ProfileError.DidYouMean(text, ErrnoTable.Names)}", $"supported errno names: {string.Join(", ", ErrnoTable.Names)}");
    }

    private static SeccompAction ReadDefaultAction(YamlReader r, YamlNode node)
    {
        const string Hint = "use one of: errno, kill-process, kill-thread, trap, log";
        string text = r.Text(node, "defaultAction", Hint);
        if (!ActionNames.TryParse(text, out SeccompAction action))
        {
            throw r.Fail(node, $"unknown defaultAction '{text}'", Hint);
        }

        return action == SeccompAction.Allow
            ? throw r.Fail(node, "defaultAction allow is not accepted: profiles are allowlists", "deny by default (errno) and list what is allowed in groups")
            : action;
    }

    private static string? ReadDefaultErrno(YamlReader r, YamlFields f, SeccompAction defaultAction)
    {
        YamlNode? node = f.Optional("defaultErrno");
        if (defaultAction != SeccompAction.Errno)
        {
            return node is null ? null : throw r.Fail(node, "defaultErrno is only meaningful with defaultAction errno", "remove defaultErrno or set defaultAction: errno");
        }

        return node is null
            ? throw r.Fail(f["defaultAction"], "defaultAction errno needs a defaultErrno", "add 'defaultErrno: EPERM'")
            : Errno(r, node);
    }

    // The YAML must say which architecture it was written for: syscall numbers and the meaning of
    // arguments differ per architecture, and a rule set is only reviewed for the one it names.
    private static ImmutableArray<string> ReadArchitectures(YamlReader r, YamlNode node)
    {
        YamlSequenceNode list = r.Sequence(node, "architectures");
        if (list.Children.Count == 0)
        {
            throw r.Fail(node, "architectures is empty", $"write 'architectures: [{SupportedArch}]'");
        }

        var seen = new List<string>();
        foreach (YamlNode item in list.Children)
        {
            string arch = r.Text(item, "an architecture", $"write '{SupportedArch}'");
            if (arch != SupportedArch)
            {
                throw r.Fail(item, $"architecture '{arch}' is not supported", $"only {SupportedArch} is supported; i386 and x32 calls are refused by the architecture check");
            }

            if (seen.Contains(arch))
            {
                throw r.Fail(item, $"architecture '{arch}' is listed twice", "remove the duplicate");
            }

            seen.Add(arch);
        }

        return [.. seen];
    }
}
