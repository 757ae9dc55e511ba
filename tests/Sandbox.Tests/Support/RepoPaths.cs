namespace Sandbox.Tests.Support;

/// <summary>Well-known paths: the repository root (the folder holding Sandbox.sln) and the built CLI. Tests never read outside the repository.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootDir = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sandbox.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Sandbox.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => RootDir.Value;

    /// <summary>The NativeAOT CLI that `make build` leaves at bin/sandbox (or $SANDBOX_BIN).</summary>
    public static string SandboxBinary => Environment.GetEnvironmentVariable("SANDBOX_BIN") ?? Path.Combine(Root, "bin", "sandbox");
}
