using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// The lifecycle's spans and instruments, end to end: the CLI and the supervisor export OTLP
/// (http/protobuf) to a receiver on loopback that keeps every request's body; span and instrument
/// names are plain strings in the protobuf, so the test finds them there.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class LifecycleTelemetryTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly HttpListener _receiver = new();
    private readonly ConcurrentQueue<(string Path, byte[] Body)> _received = new();
    private readonly Dictionary<string, string> _env;

    public LifecycleTelemetryTests()
    {
        int port = FreePort();
        _receiver.Prefixes.Add($"http://127.0.0.1:{port}/");
        _receiver.Start();
        _ = Task.Run(ReceiveAsync);
        _env = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        };
    }

    [Fact]
    public void Each_lifecycle_action_is_a_span_and_running_sandboxes_and_restarts_are_counted()
    {
        string id = Run("run", "-d", "--trust", "trusted", "--restart", "on-failure:1", "busybox", "sh", "-c", "echo attempt; sleep 1; exit 3").Trim();
        Assert.Equal("3\n", Run("wait", id));
        string other = Run("run", "-d", "--trust", "trusted", "busybox", "sleep", "300").Trim();
        Assert.Equal(other + "\n", Run("kill", "-s", "TERM", other)); // sleep as PID 1 ignores it
        Assert.Equal(other + "\n", Run("stop", "-t", "1", other));
        Assert.Equal($"{id}\n{other}\n", Run("rm", id, other));

        string[] spans = ["sandbox.lifecycle.run", "sandbox.lifecycle.start", "sandbox.lifecycle.restart", "sandbox.lifecycle.wait",
            "sandbox.lifecycle.kill", "sandbox.lifecycle.stop", "sandbox.lifecycle.rm"];
        string[] instruments = ["sandbox.sandboxes.running", "sandbox.sandboxes.restarts"];
        Eventually(() => spans.All(s => Sent("/v1/traces", s)) && instruments.All(m => Sent("/v1/metrics", m)),
            () => $"missing: {string.Join(", ", spans.Where(s => !Sent("/v1/traces", s)).Concat(instruments.Where(m => !Sent("/v1/metrics", m))))}");
        Assert.True(Sent("/v1/traces", id), "the spans name the sandbox");
    }

    private bool Sent(string path, string text) =>
        _received.Any(r => r.Path == path && Encoding.UTF8.GetString(r.Body).Contains(text, StringComparison.Ordinal));

    private string Run(params string[] args)
    {
        using var process = _cli.Start(args, env: _env);
        var run = SandboxCli.Wait(process, TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Stdout;
    }

    private async Task ReceiveAsync()
    {
        while (_receiver.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _receiver.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            _received.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static void Eventually(Func<bool> condition, Func<string> what)
    {
        for (int i = 0; i < 200; i++)
        {
            if (condition())
            {
                return;
            }

            Thread.Sleep(100);
        }

        Assert.Fail($"timed out: {what()}");
    }

    public void Dispose()
    {
        _receiver.Close();
        _cli.Dispose();
    }
}
