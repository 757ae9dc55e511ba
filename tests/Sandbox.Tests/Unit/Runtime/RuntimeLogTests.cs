using Sandbox.Backends.Container;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Runtime;

public sealed class RuntimeLogTests
{
    [Theory]
    [InlineData("runc run failed: unable to start container process: exec: \"nope\": executable file not found in $PATH", ErrorKind.CommandNotFound)]
    [InlineData("runc run failed: unable to start container process: exec: \"/etc\": permission denied", ErrorKind.CommandNotExecutable)]
    [InlineData("executable file `/tmp/x` not found: No such file or directory", ErrorKind.CommandNotFound)]
    [InlineData("cgroups in hybrid mode not supported, drop all controllers from cgroupv2", ErrorKind.EngineFailed)]
    public void Classifies_start_failures(string message, ErrorKind expected) =>
        Assert.Equal(expected, RuntimeLog.Classify(message).Kind);

    [Fact]
    public void Reads_the_first_error_from_a_json_log()
    {
        string log = Path.GetTempFileName();
        try
        {
            File.WriteAllText(log, "{\"level\":\"info\",\"msg\":\"hello\"}\n{\"level\":\"error\",\"msg\":\"boom\"}\n");
            Assert.Equal("boom", RuntimeLog.FirstError(log));
            File.WriteAllText(log, "{\"level\":\"info\",\"msg\":\"hello\"}\n");
            Assert.Null(RuntimeLog.FirstError(log));
        }
        finally
        {
            File.Delete(log);
        }
    }
}
