using System.Text.Json.Serialization;

namespace Sandbox.Backends.Container;

// The subset of the OCI runtime-spec (config.json) this project emits. Wire types stay in this folder.

public sealed record OciSpec(
    string OciVersion,
    OciProcess Process,
    OciRoot Root,
    string Hostname,
    IReadOnlyList<OciMount> Mounts,
    OciLinux Linux);

public sealed record OciProcess(
    bool Terminal,
    OciUser User,
    IReadOnlyList<string> Args,
    IReadOnlyList<string> Env,
    string Cwd,
    OciCapabilities Capabilities,
    IReadOnlyList<OciRlimit> Rlimits,
    bool NoNewPrivileges,
    int OomScoreAdj)
{
    /// <summary>The pty's initial size when <see cref="Terminal"/> is set.</summary>
    public OciConsoleSize? ConsoleSize { get; init; }
}

public sealed record OciConsoleSize(uint Height, uint Width);

public sealed record OciUser(uint Uid, uint Gid, IReadOnlyList<uint>? AdditionalGids = null);

/// <summary>All five capability sets; empty lists mean "no capabilities".</summary>
public sealed record OciCapabilities(
    IReadOnlyList<string> Bounding,
    IReadOnlyList<string> Effective,
    IReadOnlyList<string> Inheritable,
    IReadOnlyList<string> Permitted,
    IReadOnlyList<string> Ambient);

public sealed record OciRlimit(string Type, ulong Hard, ulong Soft);

public sealed record OciRoot(string Path, bool Readonly);

public sealed record OciMount(string Destination, string Type, string Source, IReadOnlyList<string> Options);

public sealed record OciLinux(
    IReadOnlyList<OciIdMapping> UidMappings,
    IReadOnlyList<OciIdMapping> GidMappings,
    IReadOnlyList<OciNamespace> Namespaces,
    string CgroupsPath,
    OciResources Resources,
    OciSeccomp? Seccomp,
    IReadOnlyList<string> MaskedPaths,
    IReadOnlyList<string> ReadonlyPaths);

public sealed record OciIdMapping(
    [property: JsonPropertyName("containerID")] uint ContainerId,
    [property: JsonPropertyName("hostID")] uint HostId,
    uint Size);

/// <param name="Path">A namespace to join instead of a new one (the guest's sinkhole network); null: a new one.</param>
public sealed record OciNamespace(string Type, string? Path = null);

public sealed record OciResources(
    IReadOnlyList<OciDeviceRule> Devices,
    OciMemory? Memory,
    OciCpu? Cpu,
    OciPids? Pids);

public sealed record OciDeviceRule(bool Allow, string? Type = null, long? Major = null, long? Minor = null, string? Access = null);

public sealed record OciMemory(long Limit, long Swap);

public sealed record OciCpu(ulong Period, long Quota);

public sealed record OciPids(long Limit);

public sealed record OciSeccomp(
    string DefaultAction,
    uint? DefaultErrnoRet,
    IReadOnlyList<string> Architectures,
    IReadOnlyList<OciSyscallRule> Syscalls)
{
    /// <summary>seccomp(2) filter flags; analyze sets SECCOMP_FILTER_FLAG_LOG so the guest kernel logs every refusal.</summary>
    public IReadOnlyList<string>? Flags { get; init; }
}

public sealed record OciSyscallRule(
    IReadOnlyList<string> Names,
    string Action,
    uint? ErrnoRet = null,
    IReadOnlyList<OciSyscallArg>? Args = null);

public sealed record OciSyscallArg(uint Index, ulong Value, string Op, ulong? ValueTwo = null);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(OciSpec))]
[JsonSerializable(typeof(OciSeccomp))]
[JsonSerializable(typeof(OciProcess))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
