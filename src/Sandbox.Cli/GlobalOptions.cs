using System.CommandLine;
using Sandbox.Runtime;

namespace Sandbox.Cli;

/// <summary>Options every verb accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Root = new("--root")
    {
        Description = $"State directory (default: $SANDBOX_ROOT or {StateRoot.DefaultPath})",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON instead of a table",
        Recursive = true,
    };

    public static StateRoot StateRootFrom(ParseResult result) => StateRoot.FromEnvironment(result.GetValue(Root));
}
