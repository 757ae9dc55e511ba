using System.Globalization;

namespace Sandbox.Runtime;

/// <summary>
/// The environment's knobs, read once by the composition root and handed to the services that use
/// them (nothing below the composition root reads the environment for these).
/// </summary>
public sealed class SandboxOptions
{
    /// <summary>SANDBOX_TRACE=1: phase timestamps of each run on stderr, the launcher's and a microVM's own (benchmarks).</summary>
    public bool Trace { get; set; }

    /// <summary>SANDBOX_DEBUG=1: an unexpected error prints its stack trace; debug logging on stderr.</summary>
    public bool Debug { get; set; }

    /// <summary>SANDBOX_RUNTIME: the OCI runtime when --runtime does not name one.</summary>
    public string? Runtime { get; set; }

    /// <summary>SANDBOX_START_TIMEOUT (seconds): how long the OCI runtime may take to create a container.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>SANDBOX_ACCELERATOR, unparsed: only a microVM run reads (and refuses a bad) value.</summary>
    public string? Accelerator { get; set; }

    /// <summary>
    /// SANDBOX_BOOT_TIMEOUT (seconds, up to 3600): how long a microVM may take from QEMU's start
    /// until guest init starts the workload (a slow host, or a test of the budget itself).
    /// </summary>
    public TimeSpan BootTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>SANDBOX_LOG_MAX_SIZE (e.g. 1M): the cap of a detached sandbox's log, its rotated file included (default 10M).</summary>
    public long LogMaxBytes { get; set; } = Lifecycle.JsonFileLog.DefaultMaxBytes;

    /// <summary>The knobs from <paramref name="variable"/> (the process environment in the CLI); unset or unparsable ones keep their defaults.</summary>
    public static SandboxOptions From(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var o = new SandboxOptions();
        o.Configure(variable);
        return o;
    }

    /// <summary>Sets each knob <paramref name="variable"/> gives (the form Microsoft.Extensions.Options configures with).</summary>
    public void Configure(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        Trace = variable("SANDBOX_TRACE") == "1";
        Debug = variable("SANDBOX_DEBUG") == "1";
        Runtime = variable("SANDBOX_RUNTIME");
        Accelerator = variable(Backends.MicroVm.Qemu.AcceleratorOverride.Variable);
        if (double.TryParse(variable("SANDBOX_START_TIMEOUT"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0)
        {
            StartTimeout = TimeSpan.FromSeconds(s);
        }

        if (double.TryParse(variable("SANDBOX_BOOT_TIMEOUT"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double boot)
            && boot is > 0 and <= 3600)
        {
            BootTimeout = TimeSpan.FromSeconds(boot);
        }

        if (variable("SANDBOX_LOG_MAX_SIZE") is { Length: > 0 } size)
        {
            try
            {
                LogMaxBytes = Quantities.ParseSize(size, "SANDBOX_LOG_MAX_SIZE");
            }
            catch (SandboxException)
            {
                // unparsable: the default stays, like the other knobs
            }
        }
    }
}
