using System.Runtime.CompilerServices;

namespace Sandbox.Tests.Support;

/// <summary>
/// Compares generated artifacts with files under tests/Sandbox.Tests/Snapshots.
/// Set UPDATE_SNAPSHOTS=1 to rewrite them after an intended change; review the diff before committing.
/// </summary>
public static class Snapshot
{
    public static void Match(string name, string actual, [CallerFilePath] string caller = "")
    {
        string path = Path.Combine(ProjectDir(caller), "Snapshots", name);
        actual = actual.ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"snapshot {path} is missing; run with UPDATE_SNAPSHOTS=1 to create it");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual);
    }

    private static string ProjectDir(string callerFile)
    {
        var dir = new DirectoryInfo(Path.GetDirectoryName(callerFile)!);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sandbox.Tests.csproj")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"no test project above {callerFile}");
    }
}
