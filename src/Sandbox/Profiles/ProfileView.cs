using System.Text;
using System.Text.Json.Serialization;

namespace Sandbox.Profiles;

/// <summary>`profile show --json`: a profile as written, plus the digest of the filter it becomes.</summary>
public sealed record ProfileView(string Name, string Description, string DefaultAction, string? DefaultErrno, string Sha256, IReadOnlyList<GroupView> Groups)
{
    public static ProfileView From(SeccompProfile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new ProfileView(p.Name, p.Description, ActionNames.Name(p.DefaultAction), p.DefaultErrno, ProfileDigest.Sha256(OciSeccompEmitter.Emit(p)),
            [.. p.Groups.Select(g => new GroupView(g.Name, g.Why, ActionNames.Name(g.Action), g.Errno, g.When is null ? null : ConditionText.Describe(g.When), g.Syscalls))]);
    }

    public string Human()
    {
        var s = new StringBuilder();
        s.Append($"profile:  {Name}\ndescription: {Description}\ndefault:  {DefaultAction}{(DefaultErrno is { } e ? $" {e}" : "")}\nfilter sha256: {Sha256}\n");
        foreach (GroupView g in Groups)
        {
            s.Append($"\n{g.Name}: {g.Action}{(g.Errno is { } ge ? $" {ge}" : "")}{(g.When is { } w ? $" when {w}" : "")} ({g.Syscalls.Count} syscall(s))\n");
            s.Append($"  why: {g.Why}\n  {string.Join(' ', g.Syscalls)}\n");
        }

        return s.ToString();
    }
}

public sealed record GroupView(string Name, string Why, string Action, string? Errno, string? When, IReadOnlyList<string> Syscalls);

/// <summary>`profile ls --json`: one built-in profile.</summary>
public sealed record ProfileSummary(string Name, string Description, int Groups, string Sha256);

/// <summary>`profile import --json`.</summary>
public sealed record ImportView(string Name, string? Output, string Yaml, IReadOnlyList<string> Notes);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ProfileView))]
[JsonSerializable(typeof(IReadOnlyList<ProfileSummary>))]
[JsonSerializable(typeof(ProfileDiffReport))]
[JsonSerializable(typeof(ImportView))]
public sealed partial class ProfileJsonContext : JsonSerializerContext
{
    /// <summary>For terminals and files, not HTML: "->" and "&amp;" stay as written.</summary>
    // Built on first use: static initializers of partial classes run in no guaranteed order.
    public static ProfileJsonContext Relaxed => relaxed ??= new(new System.Text.Json.JsonSerializerOptions(Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static ProfileJsonContext? relaxed;
}
