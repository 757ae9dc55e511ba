using System.Diagnostics;
using System.Security.Cryptography;

namespace Sandbox.Tests.Support;

/// <summary>
/// The analyze tests' samples (tests/samples/sample.c; network.c for --network sinkhole), compiled
/// static on first use into tests/samples/bin/NAME and reused until the source changes. Callers gate on Require.Tool("gcc").
/// </summary>
public static class AnalysisSample
{
    private static readonly Lazy<string> Built = new(() => Build("sample"), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string> BuiltNetwork = new(() => Build("network"), LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => Built.Value;

    /// <summary>tests/samples/network.c: the sinkhole's sample (DNS, TCP to documentation addresses, forged records).</summary>
    public static string NetworkPath => BuiltNetwork.Value;

    private static string Build(string name)
    {
        string source = System.IO.Path.Combine(RepoPaths.Root, "tests", "samples", name + ".c");
        string dir = Directory.CreateDirectory(System.IO.Path.Combine(RepoPaths.Root, "tests", "samples", "bin")).FullName;
        string binary = System.IO.Path.Combine(dir, name);
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(source)));
        if (File.Exists(binary) && File.Exists(binary + ".sha256") && File.ReadAllText(binary + ".sha256").Trim() == hash)
        {
            return binary;
        }

        string temp = $"{binary}.{Environment.ProcessId}.tmp";
        var psi = new ProcessStartInfo("gcc") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", temp, source })
        {
            psi.ArgumentList.Add(a);
        }

        using var gcc = Process.Start(psi) ?? throw new InvalidOperationException("cannot start gcc");
        string err = gcc.StandardError.ReadToEnd() + gcc.StandardOutput.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc failed to build the analysis sample:\n{err}");
        }

        File.Move(temp, binary, overwrite: true);
        File.WriteAllText(binary + ".sha256", hash + "\n");
        return binary;
    }
}
