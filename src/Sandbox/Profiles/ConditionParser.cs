using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Profiles;

/// <summary>
/// Reads a group's <c>when</c>: <c>{arg, in: [...]}</c>, <c>{arg, maskedEq: {mask, value}}</c>,
/// <c>{arg, notEq: V}</c>, or a list of those on different arguments, all of which must hold.
/// </summary>
internal static class ConditionParser
{
    public static ArgCondition Read(YamlReader r, YamlNode node)
    {
        if (node is not YamlSequenceNode list)
        {
            return ReadOne(r, node);
        }

        if (list.Children.Count < 2)
        {
            throw r.Fail(node, "a when list needs at least two conditions", "write a single condition as a mapping: when: {arg: 0, in: [...]}");
        }

        var parts = ImmutableArray.CreateBuilder<ArgCondition>(list.Children.Count);
        foreach (YamlNode item in list.Children)
        {
            ArgCondition part = ReadOne(r, item);
            if (parts.Any(p => p.Arg == part.Arg))
            {
                throw r.Fail(item, $"arg {part.Arg} is tested twice in one when list", "seccomp cannot AND two comparisons of one argument (runtimes turn them into OR); test each argument once");
            }

            parts.Add(part);
        }

        return new ArgAllOf(parts.MoveToImmutable());
    }

    private static ArgCondition ReadOne(YamlReader r, YamlNode node)
    {
        YamlMappingNode map = r.Mapping(node, "when");
        RefuseNotIn(r, map);
        YamlFields f = r.Fields(map, "when", ["arg"], ["in", "maskedEq", "notEq"]);
        int arg = ArgValueParser.Index(r, f["arg"]);
        return (f.Optional("in"), f.Optional("maskedEq"), f.Optional("notEq")) switch
        {
            ({ } values, null, null) => new ArgEqualsAny(arg, ReadIn(r, values)),
            (null, { } masked, null) => ReadMaskedEq(r, arg, masked),
            (null, null, { } other) => new ArgNotEquals(arg, ArgValueParser.Value(r, other, "notEq")),
            _ => throw r.Fail(map, "when needs exactly one of 'in', 'maskedEq' or 'notEq'", "use 'in: [...]' to match listed values, 'maskedEq: {mask: [...], value: 0}' to test bits, or 'notEq: V' to exclude one value"),
        };
    }

    // A negated list would need several comparisons of one argument in one rule. libseccomp 2.5.4
    // refuses that (EINVAL), and runc and crun then split the comparisons into separate rules,
    // which ORs them: "not A or not B" matches everything. So the format has no notIn.
    private static void RefuseNotIn(YamlReader r, YamlMappingNode map)
    {
        foreach (YamlNode key in map.Children.Keys)
        {
            if (key is YamlScalarNode { Value: "notIn" })
            {
                throw r.Fail(key, "'notIn' is not supported", "seccomp cannot AND several comparisons of one argument (libseccomp refuses it; runc and crun turn it into OR); list the allowed values with 'in', or exclude a single value with 'notEq'");
            }
        }
    }

    private static ImmutableArray<ulong> ReadIn(YamlReader r, YamlNode node)
    {
        YamlSequenceNode list = r.Sequence(node, "in");
        if (list.Children.Count == 0)
        {
            throw r.Fail(node, "in must list at least one value", "an empty list would never match; remove the group instead");
        }

        var values = ImmutableArray.CreateBuilder<ulong>(list.Children.Count);
        foreach (YamlNode item in list.Children)
        {
            ulong value = ArgValueParser.Value(r, item, "value");
            if (values.Contains(value))
            {
                throw r.Fail(item, $"value {Describe(item)} (= {value}) is listed twice in 'in'", "remove the duplicate");
            }

            values.Add(value);
        }

        return values.MoveToImmutable();
    }

    private static ArgMaskedEquals ReadMaskedEq(YamlReader r, int arg, YamlNode node)
    {
        YamlMappingNode map = r.Mapping(node, "maskedEq");
        YamlFields f = r.Fields(map, "maskedEq", ["mask", "value"], []);
        ulong mask = 0;
        YamlNode maskNode = f["mask"];
        IEnumerable<YamlNode> parts = maskNode is YamlSequenceNode seq ? seq.Children : [maskNode];
        foreach (YamlNode part in parts)
        {
            mask |= ArgValueParser.Value(r, part, "mask");
        }

        if (mask == 0)
        {
            throw r.Fail(maskNode, "mask is 0, so the condition would test no bits", "list the flags to test, e.g. mask: [CLONE_NEWUSER, CLONE_NEWNET]");
        }

        ulong value = ArgValueParser.Value(r, f["value"], "value");
        if ((value & ~mask) != 0)
        {
            throw r.Fail(f["value"], $"value 0x{value:x} has bits outside mask 0x{mask:x}, so it can never match", "value must only use bits that are in the mask");
        }

        return new ArgMaskedEquals(arg, mask, value);
    }

    private static string Describe(YamlNode node) => YamlReader.Describe(node);
}
