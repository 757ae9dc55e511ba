namespace Sandbox.Tests.Unit.Profiles;

/// <summary>Building blocks for profile YAML in tests. Head is lines 1-6, so the first group starts at line 7.</summary>
internal static class ProfileYaml
{
    public const string Head =
        "name: test\n" +
        "description: A test profile.\n" +
        "defaultAction: errno\n" +
        "defaultErrno: EPERM\n" +
        "architectures: [x86_64]\n" +
        "groups:\n";

    /// <summary>A group of four lines (name, why, action, syscalls) plus any extra lines.</summary>
    public static string Group(string name = "g", string why = "w", string action = "allow", string syscalls = "[read]", params string[] extra) =>
        $"  - name: {name}\n    why: {why}\n    action: {action}\n    syscalls: {syscalls}\n" +
        string.Concat(extra.Select(line => $"    {line}\n"));

    public static string Valid => Head + Group();
}
