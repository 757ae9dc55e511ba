using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;
using Sandbox.Audit;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Disk;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Backends.MicroVm.Initramfs;
using Sandbox.Backends.MicroVm.Jail;
using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Backends.MicroVm.Templates;
using Sandbox.Host;
using Sandbox.Host.Files;
using Sandbox.Host.Mounts;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.Telemetry;
using Sandbox.Volumes;
using Accelerator = Sandbox.Backends.MicroVm.Qemu.Accelerator;

namespace Sandbox.Backends.MicroVm;

/// <summary>
/// Runs one workload in a QEMU microVM: verified guest kernel, cached initramfs and root disk,
/// QEMU jailed in an OCI container, the guest protocol over virtio-serial. Fails closed: a missing
/// QEMU or kernel is exit 125 with the reason, never a fallback to the container.
/// </summary>
public sealed class MicroVmBackend(StateRoot root, ContainerBackend jail, Func<string, OciSeccomp> seccompFor, IOptions<SandboxOptions> configured) : ISandboxBackend
{
    private readonly SandboxOptions options = configured.Value;

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

        var store = new KernelStore(root);
        return store.Open(KernelCatalog.BuiltIn.Choose(kernelName, store.IsInstalled));
    }

    /// <summary>Refuses, before anything is created, volumes the microVM cannot carry.</summary>
    private static void CheckVolumes(IReadOnlyList<VolumeSpec> volumes)
    {
        if (volumes.Count > QemuCommandLine.MaxShares)
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"-v: a microVM takes at most {QemuCommandLine.MaxShares} volumes ({volumes.Count} given)",
                "the microvm machine has eight virtio-mmio slots, two of which hold the root disk and the console");
        }

    }

    public BackendKind Kind => BackendKind.MicroVm;

    // Fail closed: grants the microVM cannot honour are refused, never dropped.
    public void Admit(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (!decision.Binds.IsEmpty)
        {
            throw new SandboxException(ErrorKind.Refused, $"refused: host bind mounts ({string.Join(", ", decision.Binds)}) are for the container backend only",
                "give the microVM a named volume: -v NAME:/path");
        }

        jail.Admit(decision); // capabilities and devices: what its jail, a container, cannot grant either
    }

    public async Task PreflightAsync(WorkloadSpec spec, IReadOnlyList<VolumeSpec> volumes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(volumes);
        if (AcceleratorOverride.Parse(options.Accelerator) is { } forced)
        {
            AcceleratorOverride.Recheck(forced, forced: true, spec.AllowEmulation, spec.DecidedBy); // before anything starts
        }

        Preflight(spec.Kernel); // fail closed before anything starts: no QEMU or no intact kernel is exit 125
        CheckVolumes(volumes);
        await jail.RuntimeAsync(spec.Runtime).ConfigureAwait(false); // the VMM's jail is a container
    }

    /// <summary>
    /// Create: verified kernel, cached initramfs and root disk, a leased ID range, the bundle with
    /// the VMM's jail and the guest's config.json rendered, the I/O sockets listening; QEMU is not
    /// started. The guest reads the spec before it reports ready, so booting belongs to start.
    /// </summary>
    public async Task<ISandbox> CreateAsync(WorkloadSpec spec, WorkloadIo io, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(io);
        OciRuntime runtime = await jail.RuntimeAsync(spec.Runtime).ConfigureAwait(false);
        var w = spec with { Terminal = io.Terminal };
        var trace = new PhaseTrace(options.Trace);
        FetchedKernel kernel = Preflight(w.Kernel);
        trace.Mark("kernel verified");
        string initramfs = await InitramfsBuilder.EnsureAsync(root, kernel, ct).ConfigureAwait(false);
        string disk = RootDisk.Ensure(root, w.Image, ct);
        trace.Mark("initramfs and root disk ready");
        Accelerator? forced = AcceleratorOverride.Parse(options.Accelerator);
        Accelerator accel = forced ?? (w.Accelerator == Policy.Accelerator.Kvm ? Accelerator.Kvm : Accelerator.Tcg); // as decided, not probed again
        AcceleratorOverride.Recheck(accel, forced is not null, w.AllowEmulation, w.DecidedBy); // the decision is checked again against what will run
        if (forced is { } f)
        {
            await io.NoticeSink.WriteAsync(Encoding.UTF8.GetBytes(AcceleratorOverride.Notice(f)), ct).ConfigureAwait(false);
        }
        else if (accel == Accelerator.Tcg)
        {
            await io.NoticeSink.WriteAsync(Encoding.UTF8.GetBytes(TcgNotice), ct).ConfigureAwait(false);
        }

        string record = OrphanReaper.Record(runtime, w.Id);
        var created = new MicroVmSandbox(w, runtime, io, trace, kernel, IdLease.Acquire(record)) { BootTimeout = options.BootTimeout };
        try
        {
            var lease = created.Lease;
            if (lease.PreviousHolder is { } stale)
            {
                await OrphanReaper.ReapRecordAsync(stale).ConfigureAwait(false);
            }

            string bundle = created.Bundle = RunDirectory.Create(root, w.Id, lease.Range); // the jail's ID (and no other user) resolves its bind mounts through it
            created.Owner = OrphanReaper.Claim(bundle, record);

            string ioDir = Path.Combine(bundle, "io");
            Directory.CreateDirectory(ioDir);
            File.SetUnixFileMode(ioDir, (UnixFileMode)0b111_000_000);
            FileOwner.Set(ioDir, lease.Range.HostStart, lease.Range.HostStart); // the jailed QEMU's root
            bool stdin = io.Stdin is not null;
            created.Sockets = new VmRunner.Sockets(
                Listen(ioDir, "control.sock", lease.Range.HostStart), Listen(ioDir, "stdout.sock", lease.Range.HostStart),
                Listen(ioDir, "stderr.sock", lease.Range.HostStart), stdin ? Listen(ioDir, "stdin.sock", lease.Range.HostStart) : null,
                Listen(ioDir, "console.sock", lease.Range.HostStart));

            static string InJail(string name) => $"{VmmJail.IoDir}/{name}";
            long memoryMiB = Math.Max(64, w.Limits.MemoryBytes >> 20) + GuestOverheadMiB + (w.ReportPath is null ? 0 : AnalysisOverheadMiB);
            int cpus = Math.Max(1, (int)Math.Ceiling(w.Limits.Cpus));
            IReadOnlyList<string> commandLine = KernelCommandLine(kernel.Entry, accel);
            var (template, booted) = ChooseTemplate(w, new TemplateKey(
                kernel.Manifest.VmlinuzSha256, Path.GetFileName(initramfs), Path.GetFileNameWithoutExtension(disk), memoryMiB, cpus,
                accel == Accelerator.Kvm ? "kvm" : "tcg", kernel.Entry.MachineOptions, commandLine, "qemu"));
            VmTemplatePlan? templatePlan = null;
            if (template is { } key)
            {
                // Freed guest pages are zeroed, and migration skips zero pages: a smaller template, a faster restore.
                commandLine = [.. commandLine, TemplateKernelOption];
                key = key with { KernelCommandLine = commandLine };
                var spares = Enumerable.Range(w.Mounts.Count, QemuCommandLine.MaxShares - w.Mounts.Count)
                    .Select(i => new VmShare(Tag(i), VmmJail.VolumePath(i), ReadOnly: true)).ToList();
                var store = new TemplateStore(root);
                key = key with { QemuSha256 = store.Sha256Of($"/usr/bin/{QemuCommandLine.Binary}") }; // the binary the jail runs
                if (store.Find(key, out string why, out FileStream? state) is { } found)
                {
                    created.Template = new TemplateRun.Restore(found, state!, Path.Combine(ioDir, "incoming.sock"));
                    templatePlan = new VmTemplatePlan(spares, QmpSocket: null, IncomingSocket: InJail("incoming.sock"));
                }
                else
                {
                    created.Template = new TemplateRun.Capture(store, key, Listen(ioDir, "qmp.sock", lease.Range.HostStart),
                        Listen(ioDir, "template.sock", lease.Range.HostStart), InJail("template.sock"), why);
                    templatePlan = new VmTemplatePlan(spares, QmpSocket: InJail("qmp.sock"), IncomingSocket: null);
                }

                trace.Mark(created.Template.Boot);
            }

            var plan = new VmPlan(
                kernel.Entry.MachineOptions, commandLine, accel, MemoryMiB: memoryMiB, Cpus: cpus,
                Kernel: $"{VmmJail.VmDir}/vmlinuz", Initrd: $"{VmmJail.VmDir}/initramfs.cpio", RootDisk: $"{VmmJail.VmDir}/rootfs.ext4",
                ConsoleSocket: InJail("console.sock"), ControlSocket: InJail("control.sock"), StdoutSocket: InJail("stdout.sock"),
                StderrSocket: InJail("stderr.sock"), StdinSocket: stdin ? InJail("stdin.sock") : null)
            {
                Shares = [.. w.Mounts.Select((v, i) => new VmShare(Tag(i), VmmJail.VolumePath(i), v.ReadOnly))],
                StdinIsTerminal = stdin && w.Terminal is not null,
                Template = templatePlan,
            };
            IReadOnlyList<string> argv = [$"/usr/bin/{QemuCommandLine.Binary}", .. QemuCommandLine.Render(plan)];

            using var userns = UserNamespaceHandle.ForSlot(lease.Slot, lease.Range, root.HostCache);
            string jailDisk = RootDisk.Stage(disk, bundle, userns);
            var volumes = StageVolumes(bundle, userns, w.Mounts);

            string jailRoot = VmmJail.PrepareRoot(bundle, templatePlan is null ? volumes.Count : QemuCommandLine.MaxShares); // a template's spare slots: empty directories
            string? kvmNode = accel == Accelerator.Kvm ? VmmJail.CreateKvmNode(bundle, lease.Range.HostStart) : null;
            var containerPlan = VmmJail.Plan(w.Id, jailRoot, ioDir, new VmmJail.Files(kernel.Vmlinuz, initramfs, jailDisk), argv,
                plan.MemoryMiB << 20, w.Limits.Cpus, lease.Range, seccompFor(VmmSeccompProfile), kvmNode, volumes);
            string config = Path.Combine(bundle, "config.json");
            await File.WriteAllTextAsync(config, OciSpecBuilder.ToJson(OciSpecBuilder.Build(containerPlan)), ct).ConfigureAwait(false);
            var mounts = w.Mounts.Select((v, i) => new GuestMount(Tag(i), v.Target, v.ReadOnly)).ToList();
            byte[] guestConfig = OciSpecBuilder.ToUtf8Json(GuestOciSpec.Build(
                new GuestPlan(w.Args, w.Env, w.Cwd, w.Uid, w.Gid, w.Hostname, w.Limits, w.Seccomp, mounts) { Terminal = w.Terminal, Analysis = w.ReportPath is not null, Sinkhole = w.Sinkhole && w.ReportPath is not null, Init = w.Init }));
            string guestConfigPath = Path.Combine(bundle, "guest-config.json");
            PrivateFile.Create(guestConfigPath, guestConfig); // read back below like a container's bundle
            created.Applied = Applied(
                AppliedHardeningReader.FromBundle(guestConfigPath, "crun (in the guest)", w.SeccompProfile),
                AppliedHardeningReader.FromBundle(config, runtime.Name, VmmSeccompProfile), kernel, accel, forced is not null)
                with { Volumes = AppliedVolumes(argv, w.Mounts), Boot = created.Template?.Boot ?? booted };
            created.ConfigSha256 = Convert.ToHexStringLower(SHA256.HashData(guestConfig));
            created.Spec = GuestSpec.Message(guestConfig, stdin, mounts, terminal: w.Terminal is not null, analyze: w.ReportPath is not null, sinkhole: w.Sinkhole && w.ReportPath is not null);
            return created;
        }
        catch
        {
            await created.DeleteAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Appended to the guest kernel's command line of a template run (it is part of the key).</summary>
    public const string TemplateKernelOption = "init_on_free=1";

    /// <summary>
    /// Whether this run uses a VM template (docs/templates.md), and if not, why it boots. -t (the
    /// stdin port is a console) and sandbox analyze (more memory, a tracing init) always boot.
    /// </summary>
    internal static (TemplateKey? Key, string Booted) ChooseTemplate(WorkloadSpec w, TemplateKey key) =>
        !w.Templates ? (null, "booted (templates: false in the deciding policy rule)")
        : w.Terminal is not null ? (null, "booted (a -t run has a console device a template does not)")
        : w.ReportPath is not null ? (null, "booted (sandbox analyze never uses templates)")
        : (key, "booted");

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
            if (index >= volumes.Count)
            {
                continue; // a VM template's spare slot: an empty read-only directory, no volume
            }

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

    internal static async Task<int> ExitCodeAsync(VmOutcome o, ConsoleLog console, WorkloadSpec w, FetchedKernel kernel, Stream notices)
    {
        if (o.ProtocolError is { } violation)
        {
            throw new SandboxException(ErrorKind.EngineFailed, violation, "the guest init was replaced or compromised; nothing it reported was used");
        }

        if (o.TemplateError is { } template)
        {
            throw new SandboxException(ErrorKind.EngineFailed, template, "the template was removed; the next run boots and saves a new one");
        }

        if (o.ConfigMismatch)
        {
            throw new SandboxException(ErrorKind.EngineFailed,
                $"the guest reported applying config sha256:{o.Applied?.ConfigSha256}, not the one the host sent; the microVM was stopped");
        }

        if (o.OutputIncomplete)
        {
            await Say(notices, string.Create(CultureInfo.InvariantCulture,
                $"sandbox: the workload's output may be incomplete: the guest's stdout/stderr delivered nothing for {VmRunner.OutputStall.TotalSeconds:0}s before all of it arrived\n")).ConfigureAwait(false);
        }

        if (o.Signal is { } signal)
        {
            await Say(notices, $"sandbox: signal {signal} received; the microVM was stopped\n").ConfigureAwait(false);
            return ExitCodes.FromSignal(signal);
        }

        if (o.TimedOut && !(w.ReportPath is not null && o.ExitCode is not null)) // analyze: the guest reported after its timeout kill
        {
            await Say(notices, string.Create(CultureInfo.InvariantCulture,
                $"sandbox: {w.TimeoutSource} {w.Limits.Timeout.TotalSeconds:0.###}s reached; the microVM was killed\n")).ConfigureAwait(false);
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
                await Say(notices, string.Create(CultureInfo.InvariantCulture,
                    $"sandbox: the workload reached its memory limit ({w.Limits.MemoryBytes >> 20} MiB): the out-of-memory killer in the guest killed a process\n")).ConfigureAwait(false);
            }

            return code;
        }

        string? panic = console.Panic();
        string why = panic is not null
            ? $"the guest kernel panicked: {panic}"
            : o.BootTimedOut
            ? $"the guest (kernel {kernel.Manifest.KernelRelease}) did not start the workload within the boot budget of {o.BootBudget.TotalSeconds:0.###}s (SANDBOX_BOOT_TIMEOUT raises it)"
            : o.RuntimeError is { } engine
                ? $"the jailed VMM could not start: {engine}"
                : $"the microVM stopped without reporting the workload's exit status (kernel panic, guest crash or VMM failure; VMM exit {o.VmmExitCode})";
        string qemu = string.IsNullOrWhiteSpace(o.VmmStderr) ? "" : $"\nQEMU said: {o.VmmStderr.Trim()}";
        throw new SandboxException(ErrorKind.EngineFailed, $"{why}{qemu}\nlast lines of the guest console:\n{console.Tail()}");
    }

    /// <summary>The entry's command line, plus its TCG-only options and the host TSC rate when QEMU emulates the CPU.</summary>
    internal static IReadOnlyList<string> KernelCommandLine(KernelEntry entry, Accelerator accel) =>
        accel != Accelerator.Tcg ? entry.CommandLine
        : HostTsc.Khz() is { } khz ? [.. entry.CommandLine, .. entry.TcgOnly, string.Create(CultureInfo.InvariantCulture, $"tsc_early_khz={khz}")]
        : [.. entry.CommandLine, .. entry.TcgOnly];

    private static Task Say(Stream to, string text) => to.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

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
