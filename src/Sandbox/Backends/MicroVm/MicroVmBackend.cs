using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Sandbox.Audit;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Disk;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Backends.MicroVm.Initramfs;
using Sandbox.Backends.MicroVm.Jail;
using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Host;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.Volumes;
using Accelerator = Sandbox.Backends.MicroVm.Qemu.Accelerator;

namespace Sandbox.Backends.MicroVm;

/// <summary>What the launcher hands the microVM backend: the decided workload, nothing from the policy file.</summary>
public sealed record MicroVmWorkload(
    string Id, Image Image, IReadOnlyList<string> Args, IReadOnlyList<string> Env, string Cwd, uint Uid, uint Gid,
    string? Kernel, ResourceLimits Limits, TimeSpan? Timeout)
{
    /// <summary>Named volumes, held by the launcher for the run; exported to the guest over virtio-9p.</summary>
    public IReadOnlyList<VolumeBind> Volumes { get; init; } = [];

    public string Hostname { get; init; } = "sandbox";

    /// <summary>The workload's seccomp filter, applied in the guest by crun, and its profile's name.</summary>
    public required OciSeccomp Seccomp { get; init; }

    public required string SeccompProfile { get; init; }

    /// <summary>-t: the guest's crun gives the workload a pty of this size; null for none.</summary>
    public TerminalSize? Terminal { get; init; }

    /// <summary>Whether the policy decision accepts TCG emulation; false (the default) refuses to run without KVM.</summary>
    public bool AllowEmulation { get; init; }

    /// <summary>What set <see cref="Timeout"/>, as the timeout message names it.</summary>
    public string TimeoutSource { get; init; } = "--timeout";

    /// <summary>The rule that decided, for refusals.</summary>
    public string DecidedBy { get; init; } = "the policy";

    /// <summary>
    /// sandbox analyze: where the guest collector's report (a tar) is written; null for a run. The
    /// guest then traces the workload, keeps its writes in the overlay, and a timeout is an outcome.
    /// </summary>
    public string? ReportPath { get; init; }
}

/// <summary>How a microVM run ended: the workload's exit code, whether --timeout ended it, and (analyze) whether the report arrived.</summary>
public sealed record MicroVmResult(int ExitCode, bool TimedOut, bool ReportReceived = false);

/// <summary>
/// Runs one workload in a QEMU microVM: verified guest kernel, cached initramfs and root disk,
/// QEMU jailed in an OCI container, the guest protocol over virtio-serial. Fails closed: a missing
/// QEMU or kernel is exit 125 with the reason, never a fallback to the container.
/// </summary>
public sealed class MicroVmBackend(StateRoot root, IAcceleratorProbe accelerators)
{
    /// <summary>The seccomp profile of the jailed QEMU process (profiles/seccomp/vmm.yaml).</summary>
    public const string VmmSeccompProfile = "vmm";

    public const string TcgNotice = "sandbox: no hardware virtualization; the microVM runs under QEMU TCG emulation (slow)\n";

    /// <summary>
    /// Guest memory beyond the workload's limit, for the guest kernel, init and crun: the workload's
    /// memory cgroup in the guest enforces --memory, so a hog is OOM-killed (137) and never starves
    /// the guest kernel into a panic.
    /// </summary>
    public const long GuestOverheadMiB = 96;

    /// <summary>More guest memory for sandbox analyze: the trace buffers and the report init assembles after the workload.</summary>
    public const long AnalysisOverheadMiB = 160;

    /// <summary>The checks that must pass before anything starts (QEMU present, kernel fetched and intact).</summary>
    public FetchedKernel Preflight(string? kernelName)
    {
        if (ExecutableLocator.Find(QemuCommandLine.Binary) is null)
        {
            throw new SandboxException(ErrorKind.Refused,
                $"refused: the microVM backend needs {QemuCommandLine.Binary}, which is not installed",
                "apt-get install qemu-system-x86 (or run make deps); the sandbox never falls back to a weaker backend");
        }

        return new KernelStore(root).Open(KernelCatalog.BuiltIn.Get(kernelName));
    }

    /// <summary>Refuses, before anything is created, volumes the microVM cannot carry.</summary>
    public static void CheckVolumes(IReadOnlyList<VolumeSpec> volumes)
    {
        if (volumes.Count > QemuCommandLine.MaxShares)
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"-v: a microVM takes at most {QemuCommandLine.MaxShares} volumes ({volumes.Count} given)",
                "the microvm machine has eight virtio-mmio slots, two of which hold the root disk and the console");
        }

    }

    /// <param name="applied">
    /// Told what is applied just before the VM starts: the workload's hardening from the config.json
    /// the guest's crun gets, the VMM's jail from its bundle; told again after the run with the
    /// guest's own confirmation (config digest, runtime version).
    /// </param>
    public async Task<MicroVmResult> RunAsync(
        MicroVmWorkload w, OciRuntime runtime, OciSeccomp vmmSeccomp, WorkloadIo io, CancellationToken ct,
        Action<AppliedHardening>? applied = null)
    {
        var trace = new PhaseTrace();
        FetchedKernel kernel = Preflight(w.Kernel);
        trace.Mark("kernel verified");
        string initramfs = InitramfsBuilder.Ensure(root, kernel);
        string disk = RootDisk.Ensure(root, w.Image, ct);
        trace.Mark("initramfs and root disk ready");
        Accelerator? forced = AcceleratorOverride.FromEnvironment();
        Accelerator accel = forced ?? accelerators.Detect();
        AcceleratorOverride.Recheck(accel, forced is not null, w.AllowEmulation, w.DecidedBy); // the decision is checked again against what will run
        if (forced is { } f)
        {
            await io.Stderr.WriteAsync(Encoding.UTF8.GetBytes(AcceleratorOverride.Notice(f)), ct).ConfigureAwait(false);
        }
        else if (accel == Accelerator.Tcg)
        {
            await io.Stderr.WriteAsync(Encoding.UTF8.GetBytes(TcgNotice), ct).ConfigureAwait(false);
        }

        string record = OrphanReaper.Record(runtime, w.Id);
        using var lease = IdLease.Acquire(record);
        if (lease.PreviousHolder is { } stale)
        {
            await OrphanReaper.ReapRecordAsync(stale).ConfigureAwait(false);
        }

        string bundle = RunDirectory.Create(root, w.Id, lease.Range); // the jail's ID (and no other user) resolves its bind mounts through it
        FileStream? owner = null;
        try
        {
            owner = OrphanReaper.Claim(bundle, record);

            string ioDir = Path.Combine(bundle, "io");
            Directory.CreateDirectory(ioDir);
            File.SetUnixFileMode(ioDir, (UnixFileMode)0b111_000_000);
            FileOwner.Set(ioDir, lease.Range.HostStart, lease.Range.HostStart); // the jailed QEMU's root
            bool stdin = io.Stdin is not null;
            using var control = Listen(ioDir, "control.sock", lease.Range.HostStart);
            using var stdout = Listen(ioDir, "stdout.sock", lease.Range.HostStart);
            using var stderr = Listen(ioDir, "stderr.sock", lease.Range.HostStart);
            using var stdinSocket = stdin ? Listen(ioDir, "stdin.sock", lease.Range.HostStart) : null;
            using var consoleSocket = Listen(ioDir, "console.sock", lease.Range.HostStart);

            static string InJail(string name) => $"{VmmJail.IoDir}/{name}";
            var plan = new VmPlan(
                kernel.Entry.MachineOptions, KernelCommandLine(kernel.Entry, accel), accel,
                MemoryMiB: Math.Max(64, w.Limits.MemoryBytes >> 20) + GuestOverheadMiB + (w.ReportPath is null ? 0 : AnalysisOverheadMiB), Cpus: Math.Max(1, (int)Math.Ceiling(w.Limits.Cpus)),
                Kernel: $"{VmmJail.VmDir}/vmlinuz", Initrd: $"{VmmJail.VmDir}/initramfs.cpio", RootDisk: $"{VmmJail.VmDir}/rootfs.ext4",
                ConsoleSocket: InJail("console.sock"), ControlSocket: InJail("control.sock"), StdoutSocket: InJail("stdout.sock"),
                StderrSocket: InJail("stderr.sock"), StdinSocket: stdin ? InJail("stdin.sock") : null)
            {
                Shares = [.. w.Volumes.Select((v, i) => new VmShare(Tag(i), VmmJail.VolumePath(i), v.ReadOnly))],
                StdinIsTerminal = stdin && w.Terminal is not null,
            };
            IReadOnlyList<string> argv = [$"/usr/bin/{QemuCommandLine.Binary}", .. QemuCommandLine.Render(plan)];

            using var userns = UserNamespaceHandle.ForSlot(lease.Slot, lease.Range, root.HostCache);
            string jailDisk = RootDisk.Stage(disk, bundle, userns);
            var volumes = StageVolumes(bundle, userns, w.Volumes);

            string jailRoot = VmmJail.PrepareRoot(bundle, volumes.Count);
            string? kvmNode = accel == Accelerator.Kvm ? VmmJail.CreateKvmNode(bundle, lease.Range.HostStart) : null;
            var containerPlan = VmmJail.Plan(w.Id, jailRoot, ioDir, new VmmJail.Files(kernel.Vmlinuz, initramfs, jailDisk), argv,
                plan.MemoryMiB << 20, w.Limits.Cpus, lease.Range, vmmSeccomp, kvmNode, volumes);
            string config = Path.Combine(bundle, "config.json");
            await File.WriteAllTextAsync(config, OciSpecBuilder.ToJson(OciSpecBuilder.Build(containerPlan)), ct).ConfigureAwait(false);
            var mounts = w.Volumes.Select((v, i) => new GuestMount(Tag(i), v.Target, v.ReadOnly)).ToList();
            byte[] guestConfig = OciSpecBuilder.ToUtf8Json(GuestOciSpec.Build(
                new GuestPlan(w.Args, w.Env, w.Cwd, w.Uid, w.Gid, w.Hostname, w.Limits, w.Seccomp, mounts) { Terminal = w.Terminal, Analysis = w.ReportPath is not null }));
            string guestConfigPath = Path.Combine(bundle, "guest-config.json");
            PrivateFile.Create(guestConfigPath, guestConfig); // read back below like a container's bundle
            var hardening = Applied(
                AppliedHardeningReader.FromBundle(guestConfigPath, "crun (in the guest)", w.SeccompProfile),
                AppliedHardeningReader.FromBundle(config, runtime.Name, VmmSeccompProfile), kernel, accel, forced is not null)
                with { Volumes = AppliedVolumes(argv, w.Volumes) };
            applied?.Invoke(hardening);

            string configSha256 = Convert.ToHexStringLower(SHA256.HashData(guestConfig));
            byte[] spec = GuestSpec.Message(guestConfig, stdin, mounts, terminal: w.Terminal is not null, analyze: w.ReportPath is not null);
            try
            {
                var console = new ConsoleLog();
                using var raw = w.Terminal is null ? null : HostTerminal.Raw(); // keystrokes go to the guest's pty, Ctrl-C included
                var outcome = await VmRunner.RunAsync(runtime, bundle, w.Id, new VmRunner.Sockets(control, stdout, stderr, stdinSocket, consoleSocket),
                    spec, configSha256, io, w.Timeout, trace, console, ct, w.ReportPath).ConfigureAwait(false);
                if (outcome.Applied is { } confirmed && !outcome.ConfigMismatch)
                {
                    applied?.Invoke(hardening with { GuestConfirmation = $"{confirmed.Runtime}; config.json sha256:{confirmed.ConfigSha256}" });
                }

                int exit = await ExitCodeAsync(outcome, console, w, kernel, io.Stderr).ConfigureAwait(false);
                return new MicroVmResult(exit, outcome.TimedOut && outcome.Signal is null, outcome.ReportReceived);
            }
            finally
            {
                await runtime.DeleteAsync(w.Id).ConfigureAwait(false);
            }
        }
        finally
        {
            SafeRemove.Directory(bundle); // detaches the disk and volume binds before deleting
            owner?.Dispose(); // only now: a concurrent reaper never takes a bundle being torn down for an orphan
            trace.Mark("torn down");
        }
    }

    /// <summary>Read back from the VMM's argv: which 9p export each volume got, and whether QEMU refuses writes to it.</summary>
    private static List<AppliedVolume> AppliedVolumes(IReadOnlyList<string> argv, IReadOnlyList<VolumeBind> volumes)
    {
        var applied = new List<AppliedVolume>();
        for (int i = 0; i < argv.Count - 1; i++)
        {
            if (argv[i] != "-fsdev")
            {
                continue;
            }

            string[] props = argv[i + 1].Split(',');
            string tag = props.Single(p => p.StartsWith("id=", StringComparison.Ordinal))[3..];
            int index = int.Parse(tag["vol".Length..], CultureInfo.InvariantCulture);
            string model = props.Single(p => p.StartsWith("security_model=", StringComparison.Ordinal));
            applied.Add(new AppliedVolume(volumes[index].Target, props.Contains("readonly=on"),
                $"virtio-9p {model} of an ID-mapped bind{(props.Contains("readonly=on") ? ", writes refused by QEMU" : "")}"));
        }

        return applied;
    }

    private static string Tag(int index) => "vol" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// One ID-mapped bind per volume under the bundle, for the jail to bind at /volumes/N: the jailed
    /// QEMU (root = the lease's first host ID) then owns what the volume's root owns and creates
    /// files with the volume's canonical IDs, exactly as a container sandbox would.
    /// </summary>
    private static List<VmmJail.Volume> StageVolumes(string bundle, SafeFileHandle userns, IReadOnlyList<VolumeBind> volumes)
    {
        var staged = new List<VmmJail.Volume>();
        if (volumes.Count == 0)
        {
            return staged;
        }

        string dir = Directory.CreateDirectory(Path.Combine(bundle, "volumes")).FullName;
        for (int i = 0; i < volumes.Count; i++)
        {
            string mountPoint = Directory.CreateDirectory(Path.Combine(dir, i.ToString(CultureInfo.InvariantCulture))).FullName;
            IdMappedBind.Attach(volumes[i].Source, mountPoint, userns, volumes[i].ReadOnly);
            staged.Add(new VmmJail.Volume(mountPoint, volumes[i].ReadOnly));
        }

        return staged;
    }

    /// <summary>
    /// The VM's record: the workload's hardening as the guest's crun gets it (the same fields as a
    /// container's), the guest kernel and accelerator, and the VMM's jail as its bundle says.
    /// </summary>
    private static AppliedHardening Applied(AppliedHardening guest, AppliedHardening jail, FetchedKernel kernel, Accelerator accel, bool forced) => guest with
    {
        Backend = "microvm",
        Engine = $"crun in the guest, under qemu (jailed by {jail.Engine})",
        Kernel = $"{kernel.Entry.Name} {kernel.Manifest.Version}",
        KernelSha256 = kernel.Manifest.VmlinuzSha256,
        Accelerator = (accel == Accelerator.Kvm ? "kvm" : "emulation") + (forced ? $" (forced by {AcceleratorOverride.Variable})" : ""),
        Vmm = new VmmConfinement(
            jail.UidMap.Count > 0 ? jail.UidMap[0].HostId : null, jail.GidMap.Count > 0 ? jail.GidMap[0].HostId : null,
            Seccomp: jail.SeccompSha256 is not null,
            jail.Namespaces, jail.Capabilities?.Effective ?? [],
            "QEMU -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny inside an OCI jail"),
    };

    private static async Task<int> ExitCodeAsync(VmOutcome o, ConsoleLog console, MicroVmWorkload w, FetchedKernel kernel, Stream stderr)
    {
        if (o.ProtocolError is { } violation)
        {
            throw new SandboxException(ErrorKind.EngineFailed, violation, "the guest init was replaced or compromised; nothing it reported was used");
        }

        if (o.ConfigMismatch)
        {
            throw new SandboxException(ErrorKind.EngineFailed,
                $"the guest reported applying config sha256:{o.Applied?.ConfigSha256}, not the one the host sent; the microVM was stopped");
        }

        if (o.OutputIncomplete)
        {
            await Say(stderr, string.Create(CultureInfo.InvariantCulture,
                $"sandbox: the workload's output may be incomplete: the guest's stdout/stderr delivered nothing for {VmRunner.OutputStall.TotalSeconds:0}s before all of it arrived\n")).ConfigureAwait(false);
        }

        if (o.Signal is { } signal)
        {
            await Say(stderr, $"sandbox: signal {signal} received; the microVM was stopped\n").ConfigureAwait(false);
            return ExitCodes.FromSignal(signal);
        }

        if (o.TimedOut && !(w.ReportPath is not null && o.ExitCode is not null)) // analyze: the guest reported after its timeout kill
        {
            await Say(stderr, string.Create(CultureInfo.InvariantCulture,
                $"sandbox: {w.TimeoutSource} {w.Timeout!.Value.TotalSeconds:0.###}s reached; the microVM was killed\n")).ConfigureAwait(false);
            return ExitCodes.FromSignal(9);
        }

        if (o.GuestEngineError is { } engineError)
        {
            var (kind, message) = RuntimeLog.Classify(RuntimeLog.Error(engineError) ?? engineError);
            throw new SandboxException(kind, $"crun in the guest could not start the workload: {message}");
        }

        if (o.ExitCode is { } code)
        {
            if (o.OutOfMemory)
            {
                await Say(stderr, string.Create(CultureInfo.InvariantCulture,
                    $"sandbox: the workload reached its memory limit ({w.Limits.MemoryBytes >> 20} MiB): the out-of-memory killer in the guest killed a process\n")).ConfigureAwait(false);
            }

            return code;
        }

        string? panic = console.Panic();
        string why = panic is not null
            ? $"the guest kernel panicked: {panic}"
            : o.BootTimedOut
            ? $"the guest (kernel {kernel.Manifest.KernelRelease}) did not start the workload within {VmRunner.BootTimeout.TotalSeconds:0}s"
            : o.RuntimeError is { } engine
                ? $"the jailed VMM could not start: {engine}"
                : $"the microVM stopped without reporting the workload's exit status (kernel panic, guest crash or VMM failure; VMM exit {o.VmmExitCode})";
        string qemu = string.IsNullOrWhiteSpace(o.VmmStderr) ? "" : $"\nQEMU said: {o.VmmStderr.Trim()}";
        throw new SandboxException(ErrorKind.EngineFailed, $"{why}{qemu}\nlast lines of the guest console:\n{console.Tail()}");
    }

    private static IReadOnlyList<string> KernelCommandLine(KernelEntry entry, Accelerator accel) =>
        accel == Accelerator.Tcg && HostTsc.Khz() is { } khz
            ? [.. entry.CommandLine, string.Create(CultureInfo.InvariantCulture, $"tsc_early_khz={khz}")]
            : entry.CommandLine;

    private static Task Say(Stream stderr, string text) => stderr.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

    // The launcher listens; the jailed QEMU (its root is the leased host ID) connects as a client.
    private static Socket Listen(string dir, string name, uint owner)
    {
        string path = Path.Combine(dir, name);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(1);
        FileOwner.Set(path, owner, owner);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return socket;
    }
}
