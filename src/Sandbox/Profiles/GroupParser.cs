using System.Collections.Immutable;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Profiles;

/// <summary>Reads one entry of <c>groups</c> and checks it against the table and the groups before it.</summary>
internal sealed class GroupParser(YamlReader r, SeccompAction defaultAction, string? defaultErrno)
{
    // Syscall -> the groups that list it. A syscall is in one group, or in several conditional groups
    // that never match the same call with different actions: precedence stays out of the picture
    // (libseccomp's choice between overlapping rules with different actions is hard to reason about).
    private readonly Dictionary<string, List<(SyscallGroup Group, Mark At)>> owners = new(StringComparer.Ordinal);
    private readonly HashSet<string> groupNames = new(StringComparer.Ordinal);

    public SyscallGroup Read(YamlNode node)
    {
        YamlMappingNode map = r.Mapping(node, "a group");
        YamlFields f = r.Fields(map, "a group", ["name", "why", "action", "syscalls"], ["errno", "when"]);
        string name = ProfileParser.Identifier(r, f["name"], "group name");
        if (!groupNames.Add(name))
        {
            throw r.Fail(f["name"], $"group name '{name}' is used twice", "give each group a distinct name");
        }

        string what = $"group '{name}'";
        string why = r.Text(f["why"], $"why of {what}", "say in one sentence why these syscalls get this action; reviewers rely on it");
        SeccompAction action = ReadAction(f["action"], what);
        string? errno = ReadErrno(f, action, what);
        if (action == defaultAction && errno == defaultErrno)
        {
            throw r.Fail(f["action"], $"{what} repeats the default action", "unlisted syscalls already get the default; runtimes drop such rules, so remove the group");
        }

        ArgCondition? when = f.Optional("when") is { } w ? ConditionParser.Read(r, w) : null;
        var group = new SyscallGroup(name, why, action, errno, [], when);
        return group with { Syscalls = ReadSyscalls(f["syscalls"], group) };
    }

    private SeccompAction ReadAction(YamlNode node, string what)
    {
        string text = r.Text(node, $"action of {what}", "use one of: allow, errno, kill-process, trap, log");
        if (!ActionNames.TryParse(text, out SeccompAction action))
        {
            throw r.Fail(node, $"unknown action '{text}' in {what}", "use one of: allow, errno, kill-process, trap, log");
        }

        return action == SeccompAction.KillThread
            ? throw r.Fail(node, $"action kill-thread is not allowed in {what}", "killing one thread leaves the process half-alive; use kill-process")
            : action;
    }

    private string? ReadErrno(YamlFields f, SeccompAction action, string what)
    {
        YamlNode? node = f.Optional("errno");
        if (action != SeccompAction.Errno)
        {
            return node is null ? null : throw r.Fail(node, $"errno is only meaningful with action errno, but {what} has action {ActionNames.Name(action)}", "remove the errno key or change the action to errno");
        }

        return node is null
            ? throw r.Fail(f["action"], $"{what} has action errno but no 'errno' key", "add e.g. 'errno: EPERM'")
            : ProfileParser.Errno(r, node);
    }

    private ImmutableArray<string> ReadSyscalls(YamlNode node, SyscallGroup current)
    {
        string group = current.Name;
        YamlSequenceNode list = r.Sequence(node, $"syscalls of group '{group}'");
        if (list.Children.Count == 0)
        {
            throw r.Fail(node, $"group '{group}' lists no syscalls", "list at least one syscall or remove the group");
        }

        var names = ImmutableArray.CreateBuilder<string>(list.Children.Count);
        foreach (YamlNode item in list.Children)
        {
            string name = r.Text(item, "a syscall name", "write the x86-64 syscall name, e.g. openat");
            if (!SyscallTable.TryGetNumber(name, out _))
            {
                throw r.Fail(item, $"unknown syscall '{name}'{ProfileError.DidYouMean(name, SyscallTable.Names)}", "names must exist in the x86-64 syscall table (tools/gen-syscall-table.sh); 32-bit variants such as fstat64 do not");
            }

            if (owners.TryGetValue(name, out var others))
            {
                foreach ((SyscallGroup other, Mark at) in others)
                {
                    if (other.When is null || current.When is null || other.Name == group)
                    {
                        throw r.Fail(item, $"syscall '{name}' is already listed in group '{other.Name}' (line {at.Line}, column {at.Column})", "list each syscall in one group only; use 'when: {arg: N, in: [...]}' to allow several argument values");
                    }

                    if ((other.Action, other.Errno) != (current.Action, current.Errno) && ArgOverlap.Overlaps(other.When, current.When))
                    {
                        throw r.Fail(item, $"syscall '{name}' is also in group '{other.Name}' (line {at.Line}, column {at.Column}) with another action, and both conditions can match the same call", "make the conditions exclusive (e.g. 'in: [9]' here and 'notEq: 9' there), so every call has one answer");
                    }
                }
            }
            else
            {
                owners[name] = others = [];
            }

            others.Add((current, item.Start));
            names.Add(name);
        }

        return names.MoveToImmutable();
    }
}
