namespace Ftpm.Ports;

/// <summary>
/// What the engine needs from the machine it runs on (the reference's _plat__ surface, trimmed):
/// entropy for the DRBG, a millisecond timer, physical presence, NV availability and the cancel flag.
/// Locality arrives with each command (<see cref="Tpm.Execute(byte, ReadOnlySpan{byte}, Span{byte})"/>).
/// </summary>
public interface IPlatform
{
    /// <summary>Fills <paramref name="buffer"/> with full-entropy bytes (the DRBG's seed source).</summary>
    void GetEntropy(Span<byte> buffer);

    /// <summary>Milliseconds from a monotonic timer that starts at 0 on each power-on (_plat__TimerRead).</summary>
    ulong TimerMilliseconds { get; }

    /// <summary>Physical presence is asserted (_plat__PhysicalPresenceAsserted).</summary>
    bool PhysicalPresence { get; }

    /// <summary>NV memory is available (_plat__GetNvReadyState); while false, NV-writing commands get TPM_RC_NV_UNAVAILABLE.</summary>
    bool NvAvailable { get; }

    /// <summary>NV memory is available but refuses writes for now to limit its wear (_plat__GetNvReadyState
    /// NV_RATE_LIMIT); while true, NV-writing commands get TPM_RC_NV_RATE, a warning the client retries.
    /// <see cref="NvAvailable"/> false takes precedence, as in the reference's NvCheckState.</summary>
    bool NvRateLimited => false;

    /// <summary>The host asked to cancel the running command (_plat__IsCanceled).</summary>
    bool Cancelled { get; }
}
