using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sandbox.Tests.Support;

/// <summary>
/// A real registry (Debian's docker-registry, the CNCF distribution server) on 127.0.0.1 and a free port,
/// with filesystem storage in a temporary directory. Started on first use; stopped (by its own PID) on dispose.
/// </summary>
public sealed class RegistryServer : IDisposable
{
    private readonly Lazy<(Process Process, string Address)> _started;
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-registry-").FullName;

    public RegistryServer() => _started = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>HOST:PORT of the running registry (tools are required first: skip locally, fail under CI).</summary>
    public string Address
    {
        get
        {
            Require.Tool("docker-registry");
            Require.Tool("skopeo");
            return _started.Value.Address;
        }
    }

    /// <summary>Pushes an image to the registry with skopeo (plain http: loopback only).</summary>
    public void Push(string source, string repositoryAndTag, string format = "oci") =>
        Tool.Run("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--format", format, source, $"docker://{Address}/{repositoryAndTag}");

    public void Dispose()
    {
        if (_started.IsValueCreated)
        {
            _started.Value.Process.Kill();
            _started.Value.Process.WaitForExit();
            _started.Value.Process.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private (Process, string) Start()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        string address = $"127.0.0.1:{port}";
        string config = Path.Combine(_dir, "config.yml");
        File.WriteAllText(config,
            $"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {Path.Combine(_dir, "data")}\nhttp:\n  addr: {address}\n");
        var process = Process.Start(new ProcessStartInfo("docker-registry", ["serve", config])
        {
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            UseShellExecute = false,
        })!;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow.AddSeconds(20); ; Thread.Sleep(100))
        {
            try
            {
                if (http.GetAsync(new Uri($"http://{address}/v2/")).Result.IsSuccessStatusCode)
                {
                    return (process, address);
                }
            }
            catch (AggregateException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                // not listening yet
            }

            Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "docker-registry did not start");
        }
    }
}
