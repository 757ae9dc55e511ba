using System.Globalization;

namespace Sandbox.Host.Files;

/// <summary>Small, failure-tolerant readers for /proc and /sys files.</summary>
internal static class ProcFiles
{
    /// <summary>The file's text, or null if it cannot be read.</summary>
    public static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The file's content as one integer, or null if it is unreadable or not a number.</summary>
    public static long? ReadLong(string path)
    {
        string? text = ReadText(path);
        return long.TryParse(text?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value : null;
    }
}
