using System.Text;

namespace Sandbox.Profiles;

/// <summary>
/// Writes a profile in the YAML format <see cref="SeccompProfileLoader"/> reads. Pure and
/// deterministic; syscall lists wrap at about 100 columns. Text is double-quoted where YAML needs it.
/// </summary>
public static class ProfileYamlWriter
{
    public static string Write(SeccompProfile p, string? headerComment = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        var s = new StringBuilder();
        if (headerComment is not null)
        {
            s.Append("# ").Append(headerComment).Append('\n');
        }

        s.Append($"name: {p.Name}\n");
        s.Append($"description: {Quote(p.Description)}\n");
        s.Append($"defaultAction: {ActionNames.Name(p.DefaultAction)}\n");
        if (p.DefaultErrno is { } de)
        {
            s.Append($"defaultErrno: {de}\n");
        }

        s.Append($"architectures: [{string.Join(", ", p.Architectures)}]\n");
        s.Append("groups:\n");
        foreach (SyscallGroup g in p.Groups)
        {
            s.Append($"  - name: {g.Name}\n");
            s.Append($"    why: {Quote(g.Why)}\n");
            s.Append($"    action: {ActionNames.Name(g.Action)}\n");
            if (g.Errno is { } e)
            {
                s.Append($"    errno: {e}\n");
            }

            if (g.When is { } w)
            {
                s.Append($"    when: {ConditionText.Yaml(w)}\n");
            }

            AppendSyscalls(s, g.Syscalls);
        }

        return s.ToString();
    }

    private static void AppendSyscalls(StringBuilder s, IReadOnlyList<string> syscalls)
    {
        const string Indent = "      ";
        var line = new StringBuilder("    syscalls: [");
        for (int i = 0; i < syscalls.Count; i++)
        {
            string item = syscalls[i] + (i < syscalls.Count - 1 ? "," : "]");
            if (line.Length + item.Length + 1 > 100 && line.Length > Indent.Length)
            {
                s.Append(line.ToString().TrimEnd()).Append('\n');
                line.Clear().Append(Indent);
            }

            line.Append(item).Append(i < syscalls.Count - 1 ? " " : "");
        }

        s.Append(line).Append('\n');
    }

    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).ReplaceLineEndings(" ") + "\"";
}
