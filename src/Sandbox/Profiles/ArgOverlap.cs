namespace Sandbox.Profiles;

/// <summary>
/// Whether two argument conditions can both hold for one call. Exact for the condition kinds of the
/// format: arguments are independent registers, so two conditions overlap when, on every argument
/// both constrain, some value satisfies both. Used to allow a syscall in several groups only when
/// groups with different actions can never match the same call (libseccomp would have to pick one).
/// </summary>
public static class ArgOverlap
{
    public static bool Overlaps(ArgCondition? a, ArgCondition? b)
    {
        if (a is null || b is null)
        {
            return true;
        }

        var left = Parts(a).ToLookup(p => p.Arg);
        return Parts(b).All(q => left[q.Arg].All(p => Intersects(p, q)));
    }

    /// <summary>Whether <paramref name="value"/> in argument <see cref="ArgCondition.Arg"/> satisfies a single-argument condition.</summary>
    public static bool Satisfies(ArgCondition c, ulong value) => c switch
    {
        ArgEqualsAny any => any.Values.Contains(value),
        ArgMaskedEquals m => (value & m.Mask) == m.Value,
        ArgNotEquals ne => value != ne.Value,
        _ => throw new ArgumentException($"{c.GetType().Name} is not a single-argument condition", nameof(c)),
    };

    public static IEnumerable<ArgCondition> Parts(ArgCondition c) => c is ArgAllOf all ? all.Parts : [c];

    private static bool Intersects(ArgCondition p, ArgCondition q) => (p, q) switch
    {
        (ArgEqualsAny any, _) => any.Values.Any(v => Satisfies(q, v)),
        (_, ArgEqualsAny any) => any.Values.Any(v => Satisfies(p, v)),
        (ArgMaskedEquals x, ArgMaskedEquals y) => ((x.Value ^ y.Value) & x.Mask & y.Mask) == 0,
        (ArgMaskedEquals m, ArgNotEquals ne) => !(m.Mask == ulong.MaxValue && m.Value == ne.Value),
        (ArgNotEquals ne, ArgMaskedEquals m) => !(m.Mask == ulong.MaxValue && m.Value == ne.Value),
        _ => true, // two notEq always leave some value
    };
}
