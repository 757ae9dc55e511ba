namespace Sandbox.Host.Probes;

/// <summary>
/// Image-content-triggered CVEs of runc and crun, with the first fixed upstream release per branch and what
/// this project does about each. Sources: runc's CHANGELOG.md and security advisories, crun's NEWS.
/// </summary>
public static class RuntimeCveTable
{
    private const string FreshDevProcSys =
        "sandbox never uses image-supplied /dev, /proc or /sys: the bundle mounts fresh ones over them and the "
        + "image store drops device nodes and links under /dev";

    public static IReadOnlyList<RuntimeCve> All { get; } =
    [
        new(
            "runc",
            "CVE-2019-5736",
            "a container process could overwrite the host runc binary through /proc/self/exe",
            [V("1.0.0")],
            "read-only rootfs, noNewPrivileges, a mapped non-root user, and no host binary is ever re-executed "
            + "into a running container (sandbox does not use runc exec)",
            "first fixed in 1.0.0-rc7; 1.0.0 is used as the threshold"),
        new(
            "runc",
            "CVE-2021-30465",
            "a symlink-exchange race on a mount destination let a container mount host paths",
            [V("1.0.0")],
            "mount destinations are set by sandbox's bundle, and no writable volume is shared between two "
            + "running sandboxes, so no container can race a symlink swap under another's mount",
            "first fixed in 1.0.0-rc95; 1.0.0 is used as the threshold"),
        new(
            "runc",
            "CVE-2024-21626",
            "a working directory of /proc/self/fd/N (image WORKDIR) reached the host through a leaked fd",
            [V("1.1.12")],
            "sandbox accepts only a canonical absolute working directory (no '.', '..' or '//', at import and at run "
            + "time), resolves it inside the rootfs with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) before it "
            + "reaches config.json, and does not use runc exec"),
        new(
            "runc",
            "CVE-2025-31133",
            "a /dev/null symlink in the image turned a masked path into a writable mount of a host /proc file",
            [V("1.2.8"), V("1.3.3"), V("1.4.0")],
            FreshDevProcSys),
        new(
            "runc",
            "CVE-2025-52565",
            "a /dev/console symlink race in the image redirected the console bind mount onto /proc files",
            [V("1.2.8"), V("1.3.3"), V("1.4.0")],
            FreshDevProcSys),
        new(
            "runc",
            "CVE-2025-52881",
            "racing mounts redirected runc's writes to /proc (LSM labels, sysctls) to arbitrary /proc files",
            [V("1.2.8"), V("1.3.3"), V("1.4.0")],
            FreshDevProcSys),
        new(
            "runc",
            "CVE-2026-41579",
            "a /dev symlink in the image gave limited write access to the host during rootfs setup",
            [V("1.3.6"), V("1.4.3"), V("1.5.0")],
            FreshDevProcSys,
            "no fixed 1.2.x release"),
        new(
            "crun",
            "CVE-2022-27650",
            "containers started with non-empty inheritable capabilities, which image binaries with file "
            + "capabilities could pick up",
            [V("1.4.4")],
            "config.json sets all five capability sets explicitly (inheritable and ambient empty) with "
            + "noNewPrivileges, so file capabilities in the image grant nothing"),
        CrunCounterpart("CVE-2025-31133"),
        CrunCounterpart("CVE-2025-52565"),
        CrunCounterpart("CVE-2025-52881"),
        new(
            "crun",
            "CVE-2026-47766",
            "rootfs /dev symlinks redirected crun's device setup outside the container rootfs",
            [V("1.28")],
            FreshDevProcSys),
    ];

    public static IEnumerable<RuntimeCve> For(string runtime) => All.Where(c => c.Runtime == runtime);

    // runc's 2025 advisories said crun had similar flaws. crun's NEWS names none of these IDs, and its
    // maintainers reported the runc reproducers do not work on crun (containers/crun#1906); 1.25.1 then
    // hardened every open under /proc. 1.24 is the project's chosen threshold, not a documented fix.
    private static RuntimeCve CrunCounterpart(string id) => new(
        "crun",
        id,
        "crun counterpart of the runc /dev and /proc redirection flaw",
        [V("1.24")],
        FreshDevProcSys,
        "crun's NEWS does not name this CVE; maintainers report crun unaffected (containers/crun#1906); "
        + "1.24 is a conservative threshold");

    private static RuntimeVersion V(string text) =>
        RuntimeVersion.Parse(text) ?? throw new InvalidOperationException($"bad version literal {text}");
}
