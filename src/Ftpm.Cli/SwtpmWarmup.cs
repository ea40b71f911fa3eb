using System.Diagnostics;
using Ftpm.Crypto;
using Ftpm.Ports;
using Microsoft.Extensions.Logging;

namespace Ftpm.Cli;

/// <summary>
/// Runs the commands firmware sends first on a scratch TPM (memory store, its own seeds) in the
/// background, so that the JIT has compiled their paths before a VM's firmware sends them. SeaBIOS
/// and OVMF give TPM2_Startup and the first PCR_Extends 750 ms (TPM2_DEFAULT_DURATION_SHORT) and
/// leave the TPM out of the boot if a cold .NET process needs longer on a loaded host.
/// </summary>
static class SwtpmWarmup
{
    static readonly string[] Commands =
    [
        "80010000000C000001440000",                         // TPM2_Startup(CLEAR)
        "80010000000B0000014301",                           // TPM2_SelfTest(fullTest)
        "800100000016000001780000000600000100000000FF",     // TPM2_GetCapability(TPM_PROPERTIES, TPM_PT_FIXED, 255)
        "8001000000160000017A00000005000000000000000A",     // TPM2_GetCapability(PCRS)
        "80020000004100000182" + "00000000" + "00000009" + "40000009000001" + "0000" + "00000001" + "000B"
            + "0000000000000000000000000000000000000000000000000000000000000000", // TPM2_PCR_Extend(PCR 0, SHA-256)
        "8001000000140000017E00000001000B03FFFFFF",         // TPM2_PCR_Read(SHA-256, 0-23)
        "80010000000C0000017B0020",                         // TPM2_GetRandom(32)
        "80010000000C000001450000",                         // TPM2_Shutdown(CLEAR)
    ];

    public static void Start(ILogger logger)
    {
        var thread = new Thread(() =>
        {
            long start = Stopwatch.GetTimestamp();
            var tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = new MemoryNvStore(), Platform = new SoftwarePlatform() });
            tpm.PowerOn();
            var response = new byte[TpmLimits.MaxResponseSize];
            foreach (var hex in Commands) tpm.Execute(0, Convert.FromHexString(hex), response);
            logger.LogInformation("Warm-up done in {Milliseconds} ms", (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        })
        { IsBackground = true, Name = "swtpm warm-up", Priority = ThreadPriority.BelowNormal };
        thread.Start();
    }
}
