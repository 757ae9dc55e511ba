using System.Globalization;
using Sandbox.Host.Files;

namespace Sandbox.Host.Probes;

/// <summary>Creates a user namespace with util-linux unshare and reads the limits that can forbid one.</summary>
public static class UserNamespaceProbe
{
    private const string MaxPath = "/proc/sys/user/max_user_namespaces";

    public static async Task<UserNamespaceResult> RunAsync(CancellationToken cancellationToken)
    {
        var limits = new UserNamespaceLimits(
            ProcFiles.ReadLong(MaxPath),
            ProcFiles.ReadLong("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
            ProcFiles.ReadLong("/proc/sys/kernel/unprivileged_userns_clone"),
            Tmds.Linux.LibC.geteuid() == 0);
        string? unshare = ExecutableLocator.Find("unshare");
        if (unshare is null)
        {
            return Evaluate(null, limits);
        }

        CommandOutput output = await ExternalCommand
            .RunAsync(unshare, ["--user", "--map-root-user", "true"], ExternalCommand.DefaultTimeout, cancellationToken)
            .ConfigureAwait(false);
        return Evaluate(output, limits);
    }

    /// <param name="unshare">The output of the unshare run, or null when unshare is not on PATH.</param>
    internal static UserNamespaceResult Evaluate(CommandOutput? unshare, UserNamespaceLimits limits)
    {
        long? max = limits.MaxUserNamespaces;
        string limit = max is null
            ? $"{MaxPath} unreadable"
            : $"max_user_namespaces={max.Value.ToString(CultureInfo.InvariantCulture)}";
        if (unshare is null)
        {
            return new(false, $"unshare not found on PATH; {limit}", "apt-get install util-linux", max);
        }

        if (unshare.Succeeded)
        {
            return new(true, $"created one (unshare --user --map-root-user); {limit}", null, max);
        }

        string why = unshare.Error ?? $"unshare exited {unshare.ExitCode}: {unshare.FirstLine()}";
        return new(false, $"{why}; {limit}", Remedy(limits), max);
    }

    private static string Remedy(UserNamespaceLimits limits) => limits switch
    {
        { MaxUserNamespaces: 0 } => "sysctl -w user.max_user_namespaces=65536",
        { IsRoot: false, AppArmorRestrictUnprivileged: 1 } =>
            "run as root, or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
        { IsRoot: false, UnprivilegedClone: 0 } => "run as root, or sysctl -w kernel.unprivileged_userns_clone=1",
        _ => "use a kernel built with CONFIG_USER_NS=y",
    };
}

/// <summary>The sysctls that can forbid user namespaces (null: the sysctl does not exist on this kernel).</summary>
internal sealed record UserNamespaceLimits(
    long? MaxUserNamespaces, long? AppArmorRestrictUnprivileged, long? UnprivilegedClone, bool IsRoot);
