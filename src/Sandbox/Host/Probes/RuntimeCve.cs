namespace Sandbox.Host.Probes;

/// <summary>
/// A known OCI-runtime vulnerability that image content can trigger. <see cref="FixedIn"/> lists the first
/// fixed release of each maintained branch: a version is fixed when it is at least the entry of its own
/// major.minor branch, or at least the newest entry (later branches carry the fix).
/// </summary>
public sealed record RuntimeCve(
    string Runtime,
    string Id,
    string Summary,
    IReadOnlyList<RuntimeVersion> FixedIn,
    string Mitigation,
    string? Note = null)
{
    public bool IsFixedIn(RuntimeVersion version)
    {
        RuntimeVersion newest = FixedIn.Max()!;
        return version >= newest || FixedIn.Any(f => version.SameBranch(f) && version >= f);
    }

    /// <summary>"1.2.8, 1.3.3, 1.4.0".</summary>
    public string FixedInText => string.Join(", ", FixedIn.Select(v => v.Text));
}
