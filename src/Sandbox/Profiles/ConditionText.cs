using System.Globalization;

namespace Sandbox.Profiles;

/// <summary>Argument conditions in one readable, canonical line ("arg0 in [16]", "arg2 != 9", "arg0 & 0x7e020000 == 0x0").</summary>
public static class ConditionText
{
    public static string Describe(ArgCondition? c) => c switch
    {
        null => "always",
        ArgEqualsAny any => $"arg{any.Arg} in [{string.Join(", ", any.Values.Order().Select(Number))}]",
        ArgMaskedEquals m => $"arg{m.Arg} & 0x{m.Mask:x} == 0x{m.Value:x}",
        ArgNotEquals ne => $"arg{ne.Arg} != {Number(ne.Value)}",
        ArgAllOf all => string.Join(" and ", all.Parts.OrderBy(p => p.Arg).Select(Describe)),
        _ => c.ToString()!,
    };

    /// <summary>The YAML of a <c>when</c> value, in flow style.</summary>
    public static string Yaml(ArgCondition c) => c switch
    {
        ArgEqualsAny any => $"{{arg: {any.Arg}, in: [{string.Join(", ", any.Values.Select(Number))}]}}",
        ArgMaskedEquals m => $"{{arg: {m.Arg}, maskedEq: {{mask: 0x{m.Mask:x}, value: 0x{m.Value:x}}}}}",
        ArgNotEquals ne => $"{{arg: {ne.Arg}, notEq: {Number(ne.Value)}}}",
        ArgAllOf all => $"[{string.Join(", ", all.Parts.Select(Yaml))}]",
        _ => throw new ArgumentException($"unhandled condition {c.GetType().Name}", nameof(c)),
    };

    private static string Number(ulong v) => v.ToString(CultureInfo.InvariantCulture);
}
