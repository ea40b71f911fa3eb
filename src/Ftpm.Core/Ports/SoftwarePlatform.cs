using System.Diagnostics;
using System.Security.Cryptography;

namespace Ftpm.Ports;

/// <summary>
/// The platform of a simulator or an in-process TPM: OS entropy, a stopwatch, and flags a host sets
/// through its platform signals (mssim platform port, swtpm control channel).
/// </summary>
public sealed class SoftwarePlatform : IPlatform
{
    long _timerStart = Stopwatch.GetTimestamp();

    public void GetEntropy(Span<byte> buffer) => RandomNumberGenerator.Fill(buffer);

    public ulong TimerMilliseconds => (ulong)Stopwatch.GetElapsedTime(_timerStart).TotalMilliseconds;

    /// <summary>Restarts the timer at 0, as a power cycle does.</summary>
    public void ResetTimer() => _timerStart = Stopwatch.GetTimestamp();

    public bool PhysicalPresence { get; set; }
    public bool NvAvailable { get; set; } = true;
    public bool NvRateLimited { get; set; }
    public bool Cancelled { get; set; }
}
