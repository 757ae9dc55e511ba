using System.Text.Json.Nodes;
using Sandbox.Images;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// CVE-2024-21626 reaches a runtime through the working directory ("/proc/self/fd/7" is a leaked
/// host directory fd in vulnerable runc). The project's own check must refuse every spelling of it,
/// whatever the installed runtime does: here "/tmp/..", which once skipped the check because it
/// started with "/tmp/".
/// </summary>
public sealed class WorkingDirEscapeTests : IDisposable
{
    private const string Escape = "/tmp/../proc/self/fd/7";
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Theory]
    [InlineData(Escape, "has a '..' component")]
    [InlineData("/tmp/./x", "has a '.' component")]
    [InlineData("/tmp//x", "has an empty component")]
    [InlineData("/data/../proc/self/cwd", "has a '..' component")]
    public void A_non_canonical_w_is_refused_before_any_runtime_sees_it(string dir, string problem)
    {
        var run = _cli.Run("run", "--trust", "trusted", "-v", "data:/data", "-w", dir, "busybox", "pwd");
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains($"-w: working directory '{dir}' {problem}", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void An_image_whose_WorkingDir_escapes_is_not_imported()
    {
        string layout = Path.Combine(_cli.StateRoot, "layout");
        OciLayoutWriter.Write(layout, [new TarBuilder().File("bin/x", "#!").Build()], $"\"Cmd\":[\"/bin/x\"],\"WorkingDir\":\"{Escape}\"");
        var import = _cli.Run("image", "import", layout, "--name", "escape:1");
        Assert.True(import.ExitCode == 125, import.ToString());
        Assert.Contains($"its WorkingDir '{Escape}' has a '..' component", import.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, _cli.Run("image", "inspect", "escape:1").ExitCode);
    }

    // An image stored before the import check existed (or a store edited by hand) is checked again at run time.
    [Fact]
    public void A_stored_image_whose_WorkingDir_escapes_does_not_run()
    {
        string layout = Path.Combine(_cli.StateRoot, "layout");
        OciLayoutWriter.Write(layout, [new TarBuilder().File("bin/x", "#!").Build()], "\"Cmd\":[\"/bin/x\"],\"WorkingDir\":\"/tmp\"");
        var import = _cli.Run("image", "import", layout, "--name", "old:1", "--trust", "trusted");
        Assert.True(import.ExitCode == 0, import.ToString());
        string json = Directory.EnumerateFiles(Path.Combine(_cli.StateRoot, "images"), "image.json", SearchOption.AllDirectories).Single();
        var image = JsonNode.Parse(File.ReadAllText(json))!;
        image["workingDir"] = Escape;
        File.WriteAllText(json, image.ToJsonString());

        var run = _cli.Run("run", "--trust", "trusted", "old:1");
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains($"image 'old:1': WorkingDir: working directory '{Escape}' has a '..' component", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_w_through_an_image_symlink_resolves_inside_the_image()
    {
        // /app -> /proc/self/cwd: resolved in the image (whose /proc is an empty directory), never on the host.
        string layout = Path.Combine(_cli.StateRoot, "layout");
        OciLayoutWriter.Write(layout, [new TarBuilder().File("bin/x", "#!", (UnixFileMode)0b111_101_101).Dir("proc").Symlink("app", "/proc/self/cwd").Symlink("up", "../../../../etc").Build()]);
        Assert.Equal(0, _cli.Run("image", "import", layout, "--name", "links:1", "--trust", "trusted").ExitCode);
        foreach (string dir in new[] { "/app", "/up/passwd" })
        {
            var run = _cli.Run("run", "--trust", "trusted", "-w", dir, "links:1", "/bin/x");
            Assert.True(run.ExitCode == 125, run.ToString());
            Assert.Contains($"-w: working directory '{dir}' does not exist in image 'links:1'", run.Stderr, StringComparison.Ordinal);
        }
    }

    public void Dispose() => _cli.Dispose();
}
