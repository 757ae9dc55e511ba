namespace Sandbox.Images;

/// <summary>A runnable image: a read-only root filesystem shared by every sandbox, plus its defaults.</summary>
public sealed record Image(
    string Reference,
    string RootfsPath,
    IReadOnlyList<string> DefaultCommand,
    IReadOnlyList<string> DefaultEnv,
    string DefaultWorkingDir);
