using System.Diagnostics;
using System.Runtime.InteropServices;
using Sandbox.Host.Files;
using Sandbox.Runtime;

namespace Sandbox.Backends.Container;

/// <summary>
/// `sandbox exec` in a container: `runtime exec --process process.json ID` in the foreground, with the
/// caller's stdio (the runtime makes the -t pty as for `run`). The process.json is the applied process
/// with the exec's command (<see cref="ExecProcessBuilder"/>), so it joins the workload's namespaces,
/// cgroup and read-only root with no capability, no_new_privs and the container's seccomp filter.
/// </summary>
public static class ContainerExec
{
    public static async Task<int> RunAsync(RunningContainer container, ExecRequest request)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Command.All(Host.ByteString.IsText) || !request.Env.All(Host.ByteString.IsText))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, "exec: an argument or -e entry is not UTF-8",
                "exec passes text only; run the program through a script inside the sandbox");
        }

        var process = ExecProcessBuilder.Build(container.AppliedProcess(), request);
        string token = Guid.NewGuid().ToString("N")[..12];
        string processJson = Path.Combine(container.RunDir, $"exec-{token}.json");
        string log = Path.Combine(container.RunDir, $"exec-{token}.log");
        PrivateFile.Create(processJson, ExecProcessBuilder.ToUtf8Json(process));
        try
        {
            var psi = new ProcessStartInfo(container.Runtime.BinaryPath) { UseShellExecute = false, RedirectStandardInput = !request.Interactive };
            foreach (string a in (string[])["--root", container.Runtime.StateDir, "--log", log, "--log-format", "json", "exec", "--process", processJson, container.Id])
            {
                psi.ArgumentList.Add(a);
            }

            using var runtime = Process.Start(psi) ?? throw new SandboxException(ErrorKind.EngineFailed, $"could not start {container.Runtime.BinaryPath}");
            if (!request.Interactive)
            {
                runtime.StandardInput.Close(); // docker exec without -i: the process reads EOF
            }

            // The runtime in the foreground relays what it gets to the exec'd process; this process stays to report.
            var forwarded = Host.ForwardedSignals.All
                .Select(s => PosixSignalRegistration.Create(s.Signal, ctx =>
                {
                    ctx.Cancel = true;
                    _ = Tmds.Linux.LibC.kill(runtime.Id, s.Number);
                })).ToList();
            try
            {
                await runtime.WaitForExitAsync().ConfigureAwait(false);
            }
            finally
            {
                forwarded.ForEach(r => r.Dispose());
            }

            if (runtime.ExitCode != 0 && RuntimeLog.FirstError(log) is { } error)
            {
                var (kind, message) = RuntimeLog.Classify(error);
                throw new SandboxException(kind, $"{container.Runtime.Name} could not exec in sandbox {container.Id}: {message}",
                    kind == ErrorKind.EngineFailed ? "sandbox inspect shows its state" : "the command must exist in the sandbox's image and be executable");
            }

            return runtime.ExitCode;
        }
        finally
        {
            File.Delete(processJson);
            File.Delete(log);
        }
    }
}
