using System.Text;
using Sandbox.Host;

namespace Sandbox.Cli;

/// <summary>
/// .NET decodes argv as UTF-8 and replaces bytes that are not UTF-8 with U+FFFD, losing them. The
/// workload's arguments and -e values must reach it unchanged, so when an argument was not UTF-8
/// the arguments are read again from /proc/self/cmdline and carried as <see cref="ByteString"/>s
/// (each invalid byte a lone surrogate that encodes back to itself).
/// </summary>
internal static class RawArguments
{
    public static string[] Read(string[] args)
    {
        if (!args.Any(a => a.Contains('\uFFFD', StringComparison.Ordinal)))
        {
            return args; // all UTF-8 (or a real U+FFFD, which is UTF-8 too): nothing was lost
        }

        byte[] cmdline;
        try
        {
            cmdline = File.ReadAllBytes("/proc/self/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return args;
        }

        // argv[0] (and the dotnet host's own arguments, under `dotnet Sandbox.Cli.dll`) come first.
        var raw = Split(cmdline);
        if (raw.Count < args.Length)
        {
            return args;
        }

        var tail = raw.Skip(raw.Count - args.Length).ToList();
        for (int i = 0; i < args.Length; i++)
        {
            if (Encoding.UTF8.GetString(tail[i]) != args[i])
            {
                return args; // not the same command line (it was rewritten): keep what .NET gave
            }
        }

        return [.. tail.Select(b => ByteString.Decode(b))];
    }

    private static List<byte[]> Split(byte[] cmdline)
    {
        var parts = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < cmdline.Length; i++)
        {
            if (cmdline[i] == 0)
            {
                parts.Add(cmdline[start..i]);
                start = i + 1;
            }
        }

        return parts;
    }
}
