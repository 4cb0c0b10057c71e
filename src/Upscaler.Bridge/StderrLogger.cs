using Microsoft.Extensions.Logging;

namespace Upscaler.Bridge;

/// <summary>
/// One line per message on stderr, never stdout (stdout carries only frames). The level comes from
/// UPSCALER_BRIDGE_LOG (debug, information, warning, error; default warning): the host shows stderr
/// to users in a console, where quiet is right.
/// </summary>
internal sealed class StderrLoggerProvider(TextWriter error, LogLevel minimum) : ILoggerProvider
{
    public static LogLevel LevelFromEnvironment() =>
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("UPSCALER_BRIDGE_LOG"), ignoreCase: true, out var level) ? level : LogLevel.Warning;

    public ILogger CreateLogger(string categoryName) => new StderrLogger(error, minimum);

    public void Dispose()
    {
    }

    private sealed class StderrLogger(TextWriter error, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            string line = $"upscaler-bridge: {logLevel.ToString().ToLowerInvariant()}: {formatter(state, exception)}";
            if (exception is not null)
                line += Environment.NewLine + exception;
            lock (error)
                error.WriteLine(line);
        }
    }
}
