using Microsoft.Extensions.Logging;

namespace Upscaler.Cli.Terminal;

/// <summary>
/// Prints the engine's notices (e.g. "no GPU provider, running on the CPU") as single lines on stderr.
/// The stock console logger writes two-line entries with category names, which is noise to a user.
/// </summary>
internal sealed class NoticeLoggerProvider(TextWriter error) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new NoticeLogger(error);

    public void Dispose() { }

    private sealed class NoticeLogger(TextWriter error) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                error.WriteLine($"upscaler: {(logLevel >= LogLevel.Warning ? "warning: " : "")}{formatter(state, exception)}");
        }
    }
}
