using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sandbox.Analysis;

/// <summary>
/// Builds the process tree, opened files, network attempts and signals from the guest's trace. The trace also
/// holds crun's own work: the sample's tree starts at the first successful exec of its guest path,
/// and holds that process and everything it forked afterwards.
/// </summary>
public sealed class Behaviour
{
    /// <summary>
    /// Whether an exec's argv, as the new program sees it (read at start_thread), is crun's exec of
    /// the sample: argv[0] is the sample's path, or for a script the kernel put the interpreter (and
    /// at most one interpreter argument) before it.
    /// </summary>
    private static bool IsSampleExec(IReadOnlyList<string> argv, string samplePath) =>
        argv.Take(3).Contains(samplePath, StringComparer.Ordinal);

    private static readonly Regex ForkChild = new(@"child_pid=(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex SignalBody = new(@"^sig=(\d+) errno=(-?\d+) code=(-?\d+) comm=.* pid=(\d+) grp=(\d+) res=(\d+)$",
        RegexOptions.CultureInvariant | RegexOptions.Singleline);
    private static readonly Regex ExitGroup = new(@"^\(error_code: ([0-9a-f]+)\)$", RegexOptions.CultureInvariant);

    public List<ReportProcess> Processes { get; } = [];
    public List<ReportNetwork> Network { get; } = [];
    public List<ReportSignal> Signals { get; } = [];
    public OpenedFiles Opens { get; } = new();
    public int ProcessesPeak { get; private set; }

    /// <summary>The mono-clock time of the sample's first exec; null when the trace never saw it.</summary>
    public double? Start { get; private set; }

    private static readonly Regex ExecName = new(@"^filename=(.*) pid=(\d+) old_pid=(\d+)$", RegexOptions.CultureInvariant | RegexOptions.Singleline);

    /// <summary>Whether a names-buffer event is whole: a sched_process_exec line whose pid is its own (a genuine one always is).</summary>
    public static bool IsWholeExecName(TraceEvent e) =>
        e is not null && e.Name == "sched_process_exec" && ExecName.Match(e.Body) is { Success: true } m && m.Groups[2].Value == e.Pid.ToString(CultureInfo.InvariantCulture);

    /// <param name="names">The "names" buffer's sched_process_exec events (the one string the sample chooses); null when they cannot be trusted.</param>
    public static Behaviour From(IReadOnlyList<TraceEvent> events, string samplePath, uint uid, IReadOnlyList<TraceEvent>? names = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        var b = new Behaviour();
        var pendingExec = new Dictionary<int, (double At, string? Path)>();
        var execArgs = new Dictionary<int, (List<string> Argv, bool Truncated)>();
        var lastExec = new Dictionary<int, double>();
        var execNames = (names ?? []).Select(n => (n.Pid, n.Time, Match: ExecName.Match(n.Body)))
            .Where(n => n.Match.Success && n.Match.Groups[2].Value == n.Pid.ToString(CultureInfo.InvariantCulture))
            .Select(n => (n.Pid, n.Time, File: n.Match.Groups[1].Value)).ToList();

        // The file a successful exec ran: the one names event of that pid since its previous exec; none or several (forged): unknown.
        string? NameOf(int pid, double end)
        {
            double since = lastExec.GetValueOrDefault(pid, double.MinValue);
            lastExec[pid] = end;
            if (names is null)
            {
                return null;
            }

            var found = execNames.Where(n => n.Pid == pid && n.Time > since && n.Time <= end).Take(2).ToList();
            return found.Count == 1 ? found[0].File : null;
        }

        var pendingNet = new Dictionary<(int, string), (double At, IReadOnlyDictionary<string, string> F)>();
        var pendingOpen = new Dictionary<int, (double At, IReadOnlyDictionary<string, string> F)>();
        var procs = new Dictionary<int, Proc>();
        var connected = new Dictionary<(int Pid, string Fd), ReportNetwork>();

        // The peer a process's socket was connected to: by the process itself, or before a fork by an ancestor.
        ReportNetwork? Peer(int pid, string fd)
        {
            for (int? p = pid; p is { } at; p = procs.TryGetValue(at, out var proc) ? proc.Parent : null)
            {
                if (connected.TryGetValue((at, fd), out var peer))
                {
                    return peer;
                }
            }

            return null;
        }
        int? root = null;
        int alive = 0;
        foreach (var e in events)
        {
            if (root is null)
            {
                // Before the sample's first exec only crun runs: its exec of the sample (argv[0] is the
                // sample's guest path, from the config) starts the tree.
                if (e.Name is "execve" or "execveat")
                {
                    pendingExec[e.Pid] = (e.Time, ExecPath(e));
                }
                else if (e.Name == "exec_args")
                {
                    execArgs[e.Pid] = Argv(e);
                }
                else if (e.Name is "sys_execve ->" or "sys_execveat ->" && TraceEvent.Number(e.Body) == 0)
                {
                    pendingExec.Remove(e.Pid);
                    string? file = NameOf(e.Pid, e.Time);
                    if (execArgs.Remove(e.Pid, out var a) && IsSampleExec(a.Argv, samplePath))
                    {
                        root = e.Pid;
                        b.Start = e.Time;
                        procs[e.Pid] = new Proc(e.Pid, null, 0) { Execs = { new ReportExec(0, file ?? samplePath, a.Argv, a.Truncated, 0, null) } };
                        alive = 1;
                        b.ProcessesPeak = 1;
                    }
                }

                continue;
            }

            double at = Math.Round(e.Time - b.Start!.Value, 6);
            if (e.Name == "sched_process_fork" && procs.ContainsKey(e.Pid) && ForkChild.Match(e.Body) is { Success: true } fm)
            {
                int child = int.Parse(fm.Groups[1].Value, CultureInfo.InvariantCulture);
                procs[child] = new Proc(child, e.Pid, at);
                b.ProcessesPeak = Math.Max(b.ProcessesPeak, ++alive);
                continue;
            }

            if (!procs.TryGetValue(e.Pid, out var p) && e.Name != "signal_generate")
            {
                continue; // crun, init: not the sample's
            }

            switch (e.Name)
            {
                case "execve" or "execveat":
                    pendingExec[e.Pid] = (at, ExecPath(e));
                    break;
                case "exec_args":
                    execArgs[e.Pid] = Argv(e);
                    break;
                case "sys_execve ->" or "sys_execveat ->" when pendingExec.Remove(e.Pid, out var x):
                    long r = TraceEvent.Number(e.Body);
                    if (r == 0)
                    {
                        string? file = NameOf(e.Pid, e.Time);
                        var a = execArgs.Remove(e.Pid, out var args) ? args : ([], true);
                        p!.Execs.Add(new ReportExec(x.At, file ?? x.Path, a.Argv, a.Truncated, 0, null));
                    }
                    else
                    {
                        p!.Execs.Add(new ReportExec(x.At, x.Path, [], false, (int)r, Errno.Name(r))); // the attempt's own path, if its page was present
                    }

                    break;
                case "sys_exit_group" when ExitGroup.Match(e.Body) is { Success: true } xm:
                    p!.ExitCode = (int)(long.Parse(xm.Groups[1].Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) & 0xff);
                    break;
                case "sched_process_exit":
                    if (p!.End is null)
                    {
                        p.End = at;
                        alive--;
                    }

                    break;
                case "signal_generate" when SignalBody.Match(e.Body) is { Success: true } sm:
                    int target = int.Parse(sm.Groups[4].Value, CultureInfo.InvariantCulture);
                    if (!procs.TryGetValue(target, out var t) && p is null)
                    {
                        break; // neither sent by nor to the sample
                    }

                    int sig = int.Parse(sm.Groups[1].Value, CultureInfo.InvariantCulture);
                    bool delivered = sm.Groups[6].Value == "0";
                    b.Signals.Add(new ReportSignal(at, target, e.Pid, sig, SignalName(sig), delivered));
                    if (t is not null && delivered && Fatal(sig))
                    {
                        t.LastFatal = sig;
                    }

                    break;
                case "open":
                    pendingOpen[e.Pid] = (at, e.Fields());
                    break;
                case "opened" when pendingOpen.Remove(e.Pid, out var o):
                    b.Opens.Add(o.At, e.Pid, o.F, e.Fields());
                    break;
                case "connect" or "bind" or "sendto":
                    pendingNet[(e.Pid, e.Name)] = (at, e.Fields());
                    break;
                case "sys_enter_listen" or "sys_listen":
                    pendingNet[(e.Pid, "listen")] = (at, new Dictionary<string, string>());
                    break;
                case "sys_connect ->" or "sys_bind ->" or "sys_sendto ->" or "sys_listen ->":
                    string call = e.Name[4..^3];
                    if (pendingNet.Remove((e.Pid, call), out var n))
                    {
                        long result = TraceEvent.Number(e.Body);
                        var entry = NetworkAttempt.From(n.At, e.Pid, call, n.F, result);
                        if (call == "connect" && result == 0 && entry.Address is not null && n.F.TryGetValue("fd", out string? cfd))
                        {
                            connected[(e.Pid, cfd)] = entry; // where later sends on this socket go
                        }
                        else if (call == "sendto" && entry.Address is null && n.F.TryGetValue("fd", out string? sfd) && Peer(e.Pid, sfd) is { } peer)
                        {
                            // A send on a connected socket (send(2) is sendto without an address): the connect's peer.
                            entry = entry with
                            {
                                Family = peer.Family, Address = peer.Address, Port = peer.Port,
                                Dns = peer.Port == 53 ? Dns.Decode(TraceEvent.Words(n.F, "d", 8)) : null,
                            };
                        }

                        b.Network.Add(entry);
                    }

                    break;
            }
        }

        foreach (var ((pid, call), n) in pendingNet)
        {
            b.Network.Add(NetworkAttempt.From(n.At, pid, call, n.F, null)); // the trace ended before the syscall returned
        }

        foreach (var p in procs.Values.OrderBy(p => p.Start).ThenBy(p => p.Pid))
        {
            var last = p.Execs.LastOrDefault(x => x.Result == 0);
            int? signal = p.ExitCode is null ? p.LastFatal : null;
            b.Processes.Add(new ReportProcess(p.Pid, p.Parent, last?.Path, last?.Argv ?? [], uid, p.Start, p.End, p.ExitCode, signal, p.Execs));
        }

        b.Network.Sort((x, y) => x.AtSeconds.CompareTo(y.AtSeconds));
        return b;
    }

    // The path as the caller passed it, read at the syscall's entry: empty when its page was not yet
    // present (e.g. a literal in a child that forked and has not touched it), then unknown.
    private static string? ExecPath(TraceEvent e)
    {
        string path = CString(TraceEvent.Words(e.Fields(), "fn", 8), out _);
        return path.Length == 0 ? null : path;
    }

    private static (List<string> Argv, bool Truncated) Argv(TraceEvent e)
    {
        var f = e.Fields();
        var argv = new List<string>();
        bool truncated = f.TryGetValue("argc", out string? argc) && TraceEvent.Number(argc) > 6;
        for (int i = 0; i < 6; i++)
        {
            if (!f.TryGetValue($"p{i}", out string? ptr) || TraceEvent.Number(ptr) == 0)
            {
                break; // argv ended (NULL)
            }

            byte[] bytes = TraceEvent.Words(f, $"a{i}_", 8);
            argv.Add(CString(bytes, out bool cut));
            truncated |= cut;
        }

        return (argv, truncated);
    }

    private static string CString(byte[] bytes, out bool truncated)
    {
        int nul = Array.IndexOf(bytes, (byte)0);
        truncated = nul < 0;
        return Encoding.UTF8.GetString(bytes, 0, nul < 0 ? bytes.Length : nul);
    }

    private static bool Fatal(int sig) => sig is 1 or 2 or 3 or 4 or 5 or 6 or 7 or 8 or 9 or 10 or 11 or 12 or 13 or 14 or 15 or 24 or 25 or 26 or 27 or 31;

    private static readonly string[] SignalNames =
        ["", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE",
            "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ",
            "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"];

    public static string SignalName(int sig) => sig > 0 && sig < SignalNames.Length ? SignalNames[sig] : string.Create(CultureInfo.InvariantCulture, $"SIGRT{sig}");

    private sealed class Proc(int pid, int? parent, double start)
    {
        public int Pid { get; } = pid;
        public int? Parent { get; } = parent;
        public double Start { get; } = start;
        public double? End { get; set; }
        public int? ExitCode { get; set; }
        public int? LastFatal { get; set; }
        public List<ReportExec> Execs { get; } = [];
    }
}

/// <summary>errno names for the results the report shows.</summary>
public static class Errno
{
    private static readonly Dictionary<long, string> Names = new()
    {
        [1] = "EPERM", [2] = "ENOENT", [9] = "EBADF", [11] = "EAGAIN", [13] = "EACCES", [14] = "EFAULT", [22] = "EINVAL", [97] = "EAFNOSUPPORT",
        [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL", [101] = "ENETUNREACH", [104] = "ECONNRESET", [110] = "ETIMEDOUT", [111] = "ECONNREFUSED",
        [113] = "EHOSTUNREACH", [115] = "EINPROGRESS", [8] = "ENOEXEC", [12] = "ENOMEM", [88] = "ENOTSOCK", [106] = "EISCONN", [107] = "ENOTCONN",
        [6] = "ENXIO", [17] = "EEXIST", [20] = "ENOTDIR", [21] = "EISDIR", [23] = "ENFILE", [24] = "EMFILE", [26] = "ETXTBSY", [28] = "ENOSPC",
        [30] = "EROFS", [36] = "ENAMETOOLONG", [40] = "ELOOP", [95] = "EOPNOTSUPP",
    };

    /// <summary>The name of -<paramref name="result"/> for a failed syscall; null for success.</summary>
    public static string? Name(long result) =>
        result >= 0 ? null : Names.TryGetValue(-result, out string? n) ? n : string.Create(CultureInfo.InvariantCulture, $"errno {-result}");
}

/// <summary>Decodes the question of a DNS query from the first bytes the sample sent to port 53.</summary>
public static class Dns
{
    public static ReportDns? Decode(byte[] m)
    {
        if (m.Length < 13)
        {
            return null;
        }

        int id = (m[0] << 8) | m[1];
        var name = new StringBuilder();
        int i = 12;
        while (i < m.Length && m[i] != 0)
        {
            int len = m[i];
            if (len > 63)
            {
                return new ReportDns(id, name.ToString(), "?", true); // compression or garbage: not a plain query
            }

            if (i + 1 + len > m.Length)
            {
                name.Append(name.Length > 0 ? "." : "").Append(Encoding.ASCII.GetString(m, i + 1, m.Length - i - 1));
                return new ReportDns(id, name.ToString(), "?", true);
            }

            name.Append(name.Length > 0 ? "." : "").Append(Encoding.ASCII.GetString(m, i + 1, len));
            i += 1 + len;
        }

        if (i + 2 >= m.Length)
        {
            return new ReportDns(id, name.ToString(), "?", true);
        }

        int type = (m[i + 1] << 8) | m[i + 2];
        string t = type switch { 1 => "A", 28 => "AAAA", 5 => "CNAME", 15 => "MX", 16 => "TXT", 2 => "NS", 12 => "PTR", 33 => "SRV", 255 => "ANY", _ => type.ToString(CultureInfo.InvariantCulture) };
        return new ReportDns(id, name.ToString(), t, false);
    }
}
