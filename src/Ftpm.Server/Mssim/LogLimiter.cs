using System.Diagnostics;

namespace Ftpm.Server.Mssim;

/// <summary>
/// A token bucket for log lines that a client can cause: <see cref="Burst"/> lines at once, then
/// <see cref="PerSecond"/> a second. What it holds back is counted and reported with the next line it lets
/// through, so a flood of connections costs a bounded number of lines (and no CPU spent formatting them).
/// </summary>
sealed class LogLimiter(int burst = 20, double perSecond = 2)
{
    readonly Lock _lock = new();
    double _tokens = burst;
    long _last = Stopwatch.GetTimestamp();
    long _suppressed;

    public int Burst { get; } = burst;
    public double PerSecond { get; } = perSecond;

    /// <summary>True if a line may be written now; <paramref name="suppressed"/> is how many were held back since the last one.</summary>
    public bool TryTake(out long suppressed)
    {
        lock (_lock)
        {
            long now = Stopwatch.GetTimestamp();
            _tokens = Math.Min(Burst, _tokens + Stopwatch.GetElapsedTime(_last, now).TotalSeconds * PerSecond);
            _last = now;
            if (_tokens < 1)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }
            _tokens -= 1;
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
