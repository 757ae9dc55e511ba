using Microsoft.Extensions.Logging;

namespace Sandbox.Cli;

/// <summary>
/// SANDBOX_DEBUG=1's log: one line per event on stderr, prefixed like every other line the launcher
/// writes there. The console logger package would bring a background queue and configuration
/// binding into a NativeAOT binary for this.
/// </summary>
internal sealed class StderrLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class StderrLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            Console.Error.WriteLine($"sandbox-debug: {category}: {formatter(state, exception)}");
        }
    }
}
