using System.Globalization;

namespace Sandbox.Backends.MicroVm.Guest;

/// <summary>
/// What guest init says on the control port, in order: "waiting" (about to read its spec), "applied SHA256 RUNTIME-VERSION" (the digest
/// of the config.json it hands crun), "ready" once the workload's root is built, "started" just
/// before crun runs (the --timeout clock starts here), "engine MSG" if crun itself failed, then
/// "exit N OUT ERR [oom]" (N the exit status, OUT and ERR the bytes it forwarded to the stdout and
/// stderr ports, oom when the workload's cgroup had an OOM kill; "exit N" alone when it could not
/// count them). The host answers <see cref="PowerOff"/>, and may send <see cref="Signal"/> and
/// <see cref="Exec"/> requests while the workload runs; each exec is answered by an "execdone" report. Only init writes this port: the workload
/// never holds it.
/// </summary>
public abstract record ControlMessage
{
    /// <summary>The host's reply to an exit report, once it has received the output the guest counted.</summary>
    public const string PowerOff = "poweroff\n";

    /// <summary>Asks init to deliver signal N to the workload (`crun kill`).</summary>
    public static string Signal(int signal) => string.Create(CultureInfo.InvariantCulture, $"signal {signal}\n");

    /// <summary>-t: asks init to give the workload's pty this size (the launcher's terminal was resized).</summary>
    public static string Resize(Host.TerminalSize size) => string.Create(CultureInfo.InvariantCulture, $"resize {size.Rows} {size.Columns}\n");

    /// <summary>
    /// sandbox exec: asks init to run one more process in the workload's container (`crun exec`). Its
    /// process.json follows on one line of LENGTH bytes (ASCII JSON, rendered by the host from the
    /// workload's applied process), then STDIN bytes of its input; the host sends nothing more until
    /// init's <see cref="ExecRead"/> (init's head may read ahead). Init answers <see cref="ExecDone"/>.
    /// </summary>
    public static string Exec(int id, int length, int stdin) => string.Create(CultureInfo.InvariantCulture, $"exec {id} {length} {stdin}\n");

    /// <summary>
    /// sandbox exec: asks init to deliver signal N to exec ID's process (the exec's client was
    /// interrupted, or went away: then SIGKILL), as the container's runtime relays a signal to an exec.
    /// </summary>
    public static string ExecSignal(int id, int signal) => string.Create(CultureInfo.InvariantCulture, $"execsignal {id} {signal}\n");

    /// <summary>The most output of one exec stream init sends (it cuts the rest), and so the host accepts.</summary>
    public const long MaxExecOutput = 16L << 20;

    /// <summary>The line init ends an exec's stderr with when it cut a stream at <see cref="MaxExecOutput"/> (kernels/init.sh says it verbatim).</summary>
    public const string ExecOutputCut = "sandbox-init: the exec's output was cut at 16 MiB a stream";

    /// <summary>The longest line the host accepts: init's lines are a few dozen bytes, its longest an engine error cut to 1 KiB.</summary>
    public const int MaxLine = 4096;

    public sealed record Ready : ControlMessage;

    /// <summary>"waiting": init is about to read its spec (where a template capture saves the VM).</summary>
    public sealed record Waiting : ControlMessage;

    /// <summary>"report LENGTH": LENGTH bytes of the analysis collector's tar follow on the port (sandbox analyze only).</summary>
    public sealed record Report(long Length) : ControlMessage;

    public sealed record Started : ControlMessage;

    /// <param name="ConfigSha256">SHA-256 of the config.json the guest's runtime was given.</param>
    /// <param name="Runtime">The runtime's own version line, e.g. "crun version 1.8.1".</param>
    public sealed record Applied(string ConfigSha256, string Runtime) : ControlMessage;

    /// <summary>The guest's OCI runtime failed before or while starting the workload (its first logged error).</summary>
    public sealed record Engine(string Error) : ControlMessage;

    /// <param name="Stdout">Bytes the guest forwarded to the stdout port; null when unknown.</param>
    /// <param name="Stderr">Bytes the guest forwarded to the stderr port; null when unknown.</param>
    /// <param name="OutOfMemory">The workload's memory cgroup killed a process.</param>
    public sealed record Exited(int Code, long? Stdout = null, long? Stderr = null, bool OutOfMemory = false) : ControlMessage;

    /// <summary>"execread ID": init has read exec ID's request and input; the host may send again.</summary>
    public sealed record ExecRead(int Id) : ControlMessage;

    /// <summary>
    /// "execdone ID STATUS OUT ERR ENGINE": an exec ended with STATUS; OUT then ERR bytes of its stdout
    /// and stderr follow the line, then ENGINE (<see cref="EngineError"/>) bytes of crun's own error (its JSON log line, at most
    /// <see cref="MaxExecEngineError"/>) when crun could not start the command.
    /// </summary>
    public sealed record ExecDone(int Id, int Status, long Stdout, long Stderr, long EngineError) : ControlMessage;

    /// <summary>The most of crun's error init sends with an exec's report (it cuts its log line at 1 KiB).</summary>
    public const long MaxExecEngineError = 1024;

    /// <summary>Null for anything else (ignored, never trusted as an exit status).</summary>
    public static ControlMessage? Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string t = line.Trim();
        switch (t)
        {
            case "ready":
                return new Ready();
            case "waiting":
                return new Waiting();
            case "started":
                return new Started();
        }

        if (t.StartsWith("engine ", StringComparison.Ordinal))
        {
            return new Engine(t[7..]);
        }

        if (t.StartsWith("applied ", StringComparison.Ordinal))
        {
            string[] a = t[8..].Split(' ', 2);
            return a.Length == 2 && a[0].Length == 64 && a[0].All(char.IsAsciiHexDigitLower) ? new Applied(a[0], a[1]) : null;
        }

        if (t.StartsWith("report ", StringComparison.Ordinal))
        {
            return long.TryParse(t[7..], NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? new Report(n) : null;
        }

        if (t.StartsWith("execread ", StringComparison.Ordinal))
        {
            return int.TryParse(t[9..], NumberStyles.None, CultureInfo.InvariantCulture, out int read) ? new ExecRead(read) : null;
        }

        if (t.StartsWith("execdone ", StringComparison.Ordinal))
        {
            string[] f = t[9..].Split(' ');
            return f.Length == 5 && int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int id)
                && int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status) && status <= 255
                && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out long o)
                && long.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out long e)
                && long.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out long g)
                ? new ExecDone(id, status, o, e, g)
                : null;
        }

        return t.StartsWith("exit ", StringComparison.Ordinal) ? ParseExit(t[5..].Split(' ')) : null;
    }

    private static Exited? ParseExit(string[] f)
    {
        if (!int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int code) || code is < 0 or > 255)
        {
            return null;
        }

        bool Count(string s, out long n) => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out n);
        return f.Length switch
        {
            1 => new Exited(code),
            3 when Count(f[1], out long o) && Count(f[2], out long e) => new Exited(code, o, e),
            4 when f[3] == "oom" && Count(f[1], out long o) && Count(f[2], out long e) => new Exited(code, o, e, OutOfMemory: true),
            _ => null,
        };
    }
}
