namespace Sandbox.Cli;

/// <summary>
/// The workload's command line as the user gave it, kept out of System.CommandLine (which caps an
/// argument at 100,000 values): `run IMAGE CMD ARG...` passes any number of arguments, up to what the
/// kernel takes in one execve.
/// </summary>
internal static class WorkloadCommandLine
{
    /// <summary>Everything after the separator that follows the image, or null when the parser holds it.</summary>
    public static string[]? Arguments { get; set; }
}
