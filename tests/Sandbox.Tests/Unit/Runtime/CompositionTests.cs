using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sandbox.Backends;
using Sandbox.Policy;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Runtime;

/// <summary>The composition root wires both backends behind the seam; the environment's knobs become options.</summary>
public sealed class CompositionTests
{
    [Fact]
    public void AddSandbox_registers_one_backend_per_policy_name_and_a_launcher()
    {
        using var services = new ServiceCollection().AddSandbox(new StateRoot("/nonexistent/sandbox-root"), _ => { }).BuildServiceProvider();
        var registry = services.GetRequiredService<BackendRegistry>();
        Assert.Equal(BackendKind.Container, registry.For(BackendKind.Container).Kind);
        Assert.Equal(BackendKind.MicroVm, registry.For(BackendKind.MicroVm).Kind);
        Assert.NotNull(services.GetRequiredService<Launcher>());
        Assert.Same(services.GetRequiredService<Launcher>(), services.GetRequiredService<Launcher>());
    }

    [Fact]
    public void A_decision_for_a_backend_this_build_lacks_is_refused_never_run_elsewhere()
    {
        var registry = new BackendRegistry([]);
        var e = Assert.Throws<SandboxException>(() => registry.For(BackendKind.MicroVm));
        Assert.Equal(ErrorKind.Refused, e.Kind);
        Assert.Contains("microvm", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_knobs_become_options_and_bad_values_keep_the_defaults()
    {
        var env = new Dictionary<string, string>
        {
            ["SANDBOX_TRACE"] = "1", ["SANDBOX_DEBUG"] = "1", ["SANDBOX_RUNTIME"] = "runc",
            ["SANDBOX_START_TIMEOUT"] = "2.5", ["SANDBOX_ACCELERATOR"] = "tcg", ["SANDBOX_BOOT_TIMEOUT"] = "0.05",
        };
        var o = SandboxOptions.From(name => env.GetValueOrDefault(name));
        Assert.True(o.Trace);
        Assert.True(o.Debug);
        Assert.Equal("runc", o.Runtime);
        Assert.Equal(TimeSpan.FromSeconds(2.5), o.StartTimeout);
        Assert.Equal("tcg", o.Accelerator);
        Assert.Equal(TimeSpan.FromSeconds(0.05), o.BootTimeout);

        var defaults = SandboxOptions.From(name => name switch
        {
            "SANDBOX_START_TIMEOUT" => "-3", "SANDBOX_TRACE" => "yes", "SANDBOX_BOOT_TIMEOUT" => "7200", _ => null,
        });
        Assert.False(defaults.Trace);
        Assert.Equal(TimeSpan.FromSeconds(120), defaults.BootTimeout); // beyond an hour: the default stays
        Assert.Equal(TimeSpan.FromSeconds(60), defaults.StartTimeout);
        Assert.Null(defaults.Runtime);
    }

    [Fact]
    public void The_options_a_composition_root_configures_reach_the_services()
    {
        using var services = new ServiceCollection()
            .AddSandbox(new StateRoot("/nonexistent/sandbox-root"), o => o.Configure(name => name == "SANDBOX_START_TIMEOUT" ? "7" : null))
            .BuildServiceProvider();
        Assert.Equal(TimeSpan.FromSeconds(7), services.GetRequiredService<IOptions<SandboxOptions>>().Value.StartTimeout);
    }
}
