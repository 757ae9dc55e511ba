using System.Collections.Concurrent;

namespace Sandbox.Tests.Support;

/// <summary>
/// Temporary directories that outlive one test (built once per run, or created inside a test with no
/// fixture to clean up): removed when the test process exits, so a run leaves nothing in /tmp.
/// </summary>
public static class TestTemp
{
    private static readonly ConcurrentBag<string> Made = [];

    static TestTemp() => AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAll();

    public static string Directory(string prefix)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;
        Made.Add(dir);
        return dir;
    }

    private static void RemoveAll()
    {
        foreach (string dir in Made)
        {
            try
            {
                Sandbox.Host.Mounts.SafeRemove.Directory(dir); // detaches anything left mounted below before deleting
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"test temp: could not remove {dir}: {e.Message}");
            }
        }
    }
}
