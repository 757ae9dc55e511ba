using Sandbox.Analysis;

namespace Sandbox.Tests.Unit.Analysis;

/// <summary>The host's reading of the guest trace: the sample's tree, its execs, exits, signals and network attempts; nothing it can forge.</summary>
public sealed class TraceParserTests
{
    private static string Words(string prefix, string text, int count = 8)
    {
        var bytes = new byte[count * 8];
        System.Text.Encoding.Latin1.GetBytes(text).AsSpan(0, Math.Min(text.Length, bytes.Length)).CopyTo(bytes); // one byte per char, as the sample wrote them
        return string.Join(' ', Enumerable.Range(0, count).Select(j => $"{prefix}{j}=0x{BitConverter.ToUInt64(bytes, j * 8):x}"));
    }

    // What init's probes print for one successful exec: the syscall's entry (the path's words, here
    // absent as for a literal not yet paged in), start_thread's argv, the syscall's return.
    private static string Exec(int pid, string ts, string path, params string[] argv) => string.Join('\n',
        Line(pid, ts + "00", $"execve: (__x64_sys_execve+0x0/0x50) {Words("fn", "")}"),
        Line(pid, ts + "01", $"exec_args: (start_thread+0x0/0x30) argc={argv.Length} "
            + string.Join(' ', Enumerable.Range(0, 6).Select(i => i < argv.Length ? $"p{i}=0x7ffd{i} {Words($"a{i}_", argv[i])}" : $"p{i}=0x0 {Words($"a{i}_", "")}"))),
        Line(pid, ts + "02", "sys_execve -> 0x0"));

    private static string Name(int pid, string ts, string file) => Line(pid, ts + "01", $"sched_process_exec: filename={file} pid={pid} old_pid={pid}");

    private static string Line(int pid, string ts, string rest) => $"           <...>-{pid}     [000] .....   {ts}: {rest}";

    private static readonly string Trace = string.Join('\n',
        "# tracer: nop",
        "#",
        Exec(40, "10.0000", "/usr/bin/crun", "crun"), // crun's own exec: not the sample
        Line(40, "10.100000", "sched_process_fork: comm=<...> pid=40 child_pid=41"),
        Exec(41, "10.2000", "/sample/s", "/sample/s", "behave"),
        Line(41, "10.300000", "sched_process_fork: comm=s pid=41 child_comm=s child_pid=42"),
        // Task name "a\n<...>-4243 [0" (15 bytes, the most a name holds): it splits the line but cannot make a prefix.
        Line(42, "10.310000", "sched_process_fork: comm=a"),
        "<...>-4243 [0 pid=42 child_comm=a",
        "<...>-4243 [0 child_pid=43",
        Line(42, "10.320000", "connect: (__x64_sys_connect+0x0/0x20) fd=3 ap=0x7ffd1 fam=2 port=23569 a4=16777343 a6_0=0x0 a6_1=0x0"),
        Line(42, "10.320100", "sys_connect -> 0xffffffffffffff91"),
        Line(42, "10.330000", "sendto: (__x64_sys_sendto+0x0/0x20) fd=4 len=31 ap=0x7ffd2 fam=2 port=13568 a4=16777343 a6_0=0x0 a6_1=0x0 "
            + Words("d", "\u0012\u0034\u0001\0\0\u0001\0\0\0\0\0\0\u0008sinkhole\u0004test\0\0\u0001\0\u0001")),
        Line(42, "10.330100", "sys_sendto -> 0x1f"),
        // A resolver's way: connect a UDP socket to port 53, then send(2), which is sendto without an address.
        Line(42, "10.340000", "connect: (__x64_sys_connect+0x0/0x20) fd=5 ap=0x7ffd1 fam=2 port=13568 a4=16777343 a6_0=0x0 a6_1=0x0"),
        Line(42, "10.340100", "sys_connect -> 0x0"),
        Line(42, "10.350000", "sendto: (__x64_sys_sendto+0x0/0x20) fd=5 len=31 ap=0x0 fam=0 port=0 a4=0 a6_0=0x0 a6_1=0x0 "
            + Words("d", "\u00ab\u00cd\u0001\0\0\u0001\0\0\0\0\0\0\u0007example\u0003com\0\0\u001c\0\u0001")),
        Line(42, "10.350100", "sys_sendto -> 0x1f"),
        Line(41, "10.400000", "signal_generate: sig=9 errno=0 code=0 comm=s pid=42 grp=1 res=0"),
        Line(42, "10.400100", "sched_process_exit: comm=s pid=42 prio=120"),
        Line(41, "10.500000", "sys_exit_group(error_code: 3)"),
        Line(41, "10.500100", "sched_process_exit: comm=s pid=41 prio=120"),
        "");

    private static readonly string Names = string.Join('\n', Name(40, "10.0000", "/usr/bin/crun"), Name(41, "10.2000", "/sample/s"), Name(42, "10.3150", "/bin/sh"), "");

    [Fact]
    public void Executed_files_come_from_the_names_buffer_and_a_forged_name_makes_them_unknown()
    {
        var events = TraceParser.Parse(Trace.Replace(Line(42, "10.320000", "connect"), Exec(42, "10.3150", "/bin/sh", "sh", "-c", "x") + "\n" + Line(42, "10.320000", "connect"), StringComparison.Ordinal)).Events;
        var names = TraceParser.Parse(Names).Events;
        Assert.All(names, n => Assert.True(Behaviour.IsWholeExecName(n)));
        var b = Behaviour.From(events, "/sample/s", 0, names);
        Assert.Equal("/sample/s", b.Processes[0].Path);
        var exec = Assert.Single(b.Processes[1].Execs);
        Assert.Equal("/bin/sh", exec.Path);
        Assert.Equal(["sh", "-c", "x"], exec.Argv);

        // A name with a newline that forges a whole line: the genuine line loses its tail, and the forged one names another pid.
        string forged = Name(42, "10.3150", "x\n           <...>-41     [000] .....   10.300001: sched_process_exec: filename=/bin/evil");
        var bad = TraceParser.Parse(string.Join('\n', Name(41, "10.2000", "/sample/s"), forged)).Events;
        Assert.Contains(bad, n => !Behaviour.IsWholeExecName(n));
    }

    [Fact]
    public void The_tree_starts_at_the_sample_s_exec_and_follows_its_forks()
    {
        var (events, unparsed) = TraceParser.Parse(Trace);
        Assert.Equal(0, unparsed);
        var b = Behaviour.From(events, "/sample/s", 0);
        Assert.Equal([41, 42, 43], b.Processes.Select(p => p.Pid));
        var root = b.Processes[0];
        Assert.Null(root.ParentPid);
        Assert.Equal(["/sample/s", "behave"], root.Argv);
        Assert.Equal(3, root.ExitCode);
        Assert.Equal(0.300098, root.EndSeconds!.Value, 6); // seconds after the sample's exec returned
        var child = b.Processes[1];
        Assert.Equal(41, child.ParentPid);
        Assert.Null(child.ExitCode);
        Assert.Equal(9, child.Signal);
        Assert.Equal(3, b.ProcessesPeak);
        Assert.Equal(42, b.Processes[2].ParentPid); // the fork whose line a task name split is still read whole
    }

    [Fact]
    public void A_task_name_with_a_newline_forges_no_event()
    {
        var (events, _) = TraceParser.Parse(Trace);
        Assert.DoesNotContain(events, e => e.Pid == 4243);
        var b = Behaviour.From(events, "/sample/s", 0);
        Assert.DoesNotContain(b.Processes, p => p.Pid is 4243 or 1);
    }

    [Fact]
    public void Network_attempts_carry_address_port_result_and_the_dns_question()
    {
        var b = Behaviour.From(TraceParser.Parse(Trace).Events, "/sample/s", 0);
        Assert.Equal(4, b.Network.Count);
        var sent = b.Network[3];
        Assert.Equal(("sendto", "127.0.0.1", 53), (sent.Syscall, sent.Address, sent.Port!.Value)); // the connected peer
        Assert.Equal(new ReportDns(0xabcd, "example.com", "AAAA", false), sent.Dns);
        var tcp = b.Network[0];
        Assert.Equal(("connect", "ipv4", "127.0.0.1", 4444, -111L, "ECONNREFUSED"), (tcp.Syscall, tcp.Family, tcp.Address, tcp.Port!.Value, tcp.Result!.Value, tcp.Error));
        var dns = b.Network[1];
        Assert.Equal(53, dns.Port);
        Assert.Equal(31, dns.Result);
        Assert.Equal(new ReportDns(0x1234, "sinkhole.test", "A", false), dns.Dns);
    }

    [Fact]
    public void A_unix_socket_s_path_or_abstract_name_is_its_address()
    {
        string Connect(int fd, string alen, string path) => Line(42, "10.360000",
            $"connect: (__x64_sys_connect+0x0/0x20) fd={fd} ap=0x7ffd1 alen={alen} fam=1 port=0 a4=0 a6_0=0x0 a6_1=0x0 {Words("un", path)}");
        string trace = Trace.Replace(Line(41, "10.400000", "signal"), string.Join('\n',
            Connect(6, "110", "/run/daemon.sock\0junk"), Line(42, "10.360100", "sys_connect -> 0xfffffffffffffffe"),
            Connect(7, "16", "\0abstract\0name\0junk"), Line(42, "10.360200", "sys_connect -> 0xffffffffffffff91"),
            Connect(8, "2", "x"), Line(42, "10.360300", "sys_connect -> 0xffffffffffffffea"),
            Line(41, "10.400000", "signal")), StringComparison.Ordinal);
        var unix = Behaviour.From(TraceParser.Parse(trace).Events, "/sample/s", 0).Network.Where(n => n.Family == "unix").ToList();
        Assert.Equal([("/run/daemon.sock", "ENOENT"), ("@abstract\0name", "ECONNREFUSED"), (null, "EINVAL")], unix.Select(n => (n.Address, n.Error)));
        Assert.All(unix, n => Assert.Null(n.Port));
    }

    [Theory]
    [InlineData("/a\0b", null, "/a")] // no length traced: up to the NUL
    [InlineData("", 2L, null)] // unnamed
    [InlineData("/p", 1L, null)] // shorter than a family: no name
    public void Unix_paths_follow_the_address_length(string bytes, long? addrlen, string? expected) =>
        Assert.Equal(expected, NetworkAttempt.UnixPath(System.Text.Encoding.Latin1.GetBytes(bytes.PadRight(64, '\0')), addrlen));

    [Fact]
    public void Opened_files_are_counted_per_path_flags_and_outcome_for_the_sample_s_processes_only()
    {
        string Open(int pid, string ts, int dfd, string flags, string path, string ret) => string.Join('\n',
            Line(pid, ts + "0", $"open: (do_filp_open+0x0/0x150) dfd={dfd} fl={flags} {Words("n", path, 16)}"),
            Line(pid, ts + "1", $"opened: (do_sys_openat2+0xa6/0x160 <- do_filp_open) ret={ret}"));
        const string File = "0xffff8880026a8900", Enoent = "0xfffffffffffffffe";
        string longPath = "/" + new string('a', 140);
        string trace = Trace.Replace(Line(41, "10.400000", "signal"), string.Join('\n',
            Open(40, "10.36000", -100, "0x8000", "/etc/crun-only", File), // crun: not the sample's
            Open(42, "10.36100", -100, "0x8241", "/tmp/x", File),
            Open(42, "10.36200", -100, "0x8241", "/tmp/x", File),
            Open(42, "10.36300", -100, "0x8000", "/etc/shadow", Enoent),
            Open(42, "10.36400", -100, "0x8020", "/bin/sh", File), // an exec's own open
            Open(42, "10.36500", 3, "0x88800", "rel/name", File),
            Open(42, "10.36600", -100, "0x8000", longPath, File),
            Line(41, "10.400000", "signal")), StringComparison.Ordinal);
        var opens = Behaviour.From(TraceParser.Parse(trace).Events, "/sample/s", 0).Opens;
        Assert.Equal(0, opens.Dropped);
        Assert.Equal(
            [("/tmp/x", null, "O_WRONLY|O_CREAT|O_TRUNC", null, 2), ("/etc/shadow", null, "O_RDONLY", "ENOENT", 1), ("rel/name", 3, "O_RDONLY|O_NONBLOCK", null, 1)],
            opens.Entries.Take(3).Select(o => (o.Path, o.DirFd, o.Flags, o.Error, o.Count)));
        var cut = opens.Entries[3];
        Assert.True(cut.PathTruncated);
        Assert.Equal(longPath[..128], cut.Path);
        Assert.Equal((0.1610, 42), (Math.Round(opens.Entries[0].AtSeconds, 4), opens.Entries[0].Pid)); // the first of the two
    }

    [Theory]
    [InlineData(0x8000u, "O_RDONLY")]
    [InlineData(0x88241u, "O_WRONLY|O_CREAT|O_TRUNC")] // O_LARGEFILE and O_CLOEXEC left out
    [InlineData(0x8442u, "O_RDWR|O_CREAT|O_APPEND")]
    [InlineData(0x410002u, "O_RDWR|O_TMPFILE")] // not also O_DIRECTORY, whose bit O_TMPFILE holds
    [InlineData(0x2b0000u, "O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_PATH")]
    public void Open_flags_read_as_an_analyst_writes_them(uint flags, string expected) => Assert.Equal(expected, OpenedFiles.Describe(flags));

    [Fact]
    public void Opens_beyond_the_kept_entries_are_counted()
    {
        var opens = new OpenedFiles();
        var ok = new Dictionary<string, string> { ["ret"] = "0xffff888000000000" };
        for (int i = 0; i <= OpenedFiles.MaxEntries; i++)
        {
            opens.Add(0, 1, new TraceEvent(1, 0, "open", $"dfd=-100 fl=0x8000 {Words("n", $"/f{i}", 16)}").Fields(), ok);
        }

        Assert.Equal(OpenedFiles.MaxEntries, opens.Entries.Count);
        Assert.Equal(1, opens.Dropped);
    }

    [Fact]
    public void Signals_name_sender_and_target()
    {
        var s = Assert.Single(Behaviour.From(TraceParser.Parse(Trace).Events, "/sample/s", 0).Signals);
        Assert.Equal((41, 42, "SIGKILL", true), (s.SenderPid, s.Pid, s.Name, s.Delivered));
    }

    [Fact]
    public void Without_the_sample_s_exec_there_is_no_tree()
    {
        var b = Behaviour.From(TraceParser.Parse(Trace).Events, "/sample/other", 0);
        Assert.Empty(b.Processes);
        Assert.Null(b.Start);
    }
}
