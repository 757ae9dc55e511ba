using System.Globalization;

namespace Sandbox.Audit;

/// <summary>
/// `audit ls` / `audit export` filters; null members match everything. Times are compared as UTC
/// instants (--since inclusive, --until exclusive); the image filter is a glob on the reference.
/// </summary>
public sealed record AuditFilter(
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    string? Rule = null,
    string? Backend = null,
    string? Outcome = null,
    string? Image = null)
{
    public bool Matches(AuditRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        DateTimeOffset? time = ParseTime(r.Time);
        return (Since is null || (time is { } t1 && t1 >= Since))
            && (Until is null || (time is { } t2 && t2 < Until))
            && (Rule is null || r.Rule?.Name == Rule)
            && (Backend is null || r.Decision?.Backend == Backend)
            && (Outcome is null || r.Outcome == Outcome)
            && (Image is null || Policy.Glob.IsMatch(Image, r.Image.Reference));
    }

    /// <summary>An ISO 8601 time ("2026-12-07", "2026-12-07T03:00:00Z"); a time without a zone is UTC.</summary>
    public static DateTimeOffset? ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}
