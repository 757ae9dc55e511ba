using System.Diagnostics;
using System.Security.Cryptography;

namespace Sandbox.Tests.Support;

/// <summary>
/// The analyze tests' sample (tests/samples/sample.c), compiled static on first use into
/// tests/samples/bin/sample and reused until its source changes. Callers gate on Require.Tool("gcc").
/// </summary>
public static class AnalysisSample
{
    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => Built.Value;

    private static string Build()
    {
        string source = System.IO.Path.Combine(RepoPaths.Root, "tests", "samples", "sample.c");
        string dir = Directory.CreateDirectory(System.IO.Path.Combine(RepoPaths.Root, "tests", "samples", "bin")).FullName;
        string binary = System.IO.Path.Combine(dir, "sample");
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
