using Microsoft.Extensions.Logging;

namespace Ftpm.Cli;

/// <summary>
/// A logger factory without the dependency-injection container: one provider and a minimum level.
/// <c>LoggerFactory.Create</c> builds a service provider, options and the console formatters through
/// open generics, which in the native binary costs more start-up CPU than the whole TPM does (about a
/// third of `ftpm serve`'s time to listening, measured with perf); the server needs none of it.
/// </summary>
sealed class LineLoggerFactory(ILoggerProvider? provider, LogLevel minimum) : ILoggerFactory
{
    /// <summary>Logs nothing.</summary>
    public static LineLoggerFactory None() => new(null, LogLevel.None);

    /// <summary>One line per message on standard output, in the console logger's single-line layout
    /// (timestamp, short level, category and event id, message).</summary>
    public static LineLoggerFactory Console(LogLevel minimum) => new(new ConsoleLineLoggerProvider(), minimum);

    public ILogger CreateLogger(string categoryName) =>
        provider is null || minimum == LogLevel.None ? NoLogger.Instance : new FilteredLogger(provider.CreateLogger(categoryName), minimum);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("one provider, given at construction");

    public void Dispose() => provider?.Dispose();

    sealed class FilteredLogger(ILogger inner, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    sealed class NoLogger : ILogger
    {
        public static readonly NoLogger Instance = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => false;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) { }
    }
}

/// <summary>Writes "2026-12-04 10:00:00.000 info: Category[0] message" lines to standard output, one write each.</summary>
sealed class ConsoleLineLoggerProvider : ILoggerProvider
{
    readonly Lock _lock = new();

    public ILogger CreateLogger(string categoryName) => new ConsoleLineLogger(this, categoryName);

    public void Dispose() { }

    void Write(string line)
    {
        lock (_lock)
        {
            try { System.Console.Out.Write(line); }
            catch (IOException) { } // a closed stdout must not stop the server
        }
    }

    static string Short(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    sealed class ConsoleLineLogger(ConsoleLineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string message = formatter(state, exception);
            if (exception is not null) message += " " + exception.ToString().ReplaceLineEndings(" ");
            provider.Write($"{DateTime.Now:yyyy-MM-dd HH:mm:ss.fff} {Short(logLevel)}: {category}[{eventId.Id}] {message.ReplaceLineEndings(" ")}{Environment.NewLine}");
        }
    }
}
