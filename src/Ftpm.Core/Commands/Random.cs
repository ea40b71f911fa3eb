using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Part 3, 16 "Random Number Generator": GetRandom and StirRandom.</summary>
internal static partial class Random
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<GetRandomIn, GetRandomOut>(TpmCc.GetRandom, GetRandom) { EncryptFirstResponseParameter = true },
        new Command<StirRandomIn>(TpmCc.StirRandom, StirRandom) { DecryptFirstParameter = true, WritesNv = true },
    ];

    [TpmParameters]
    internal partial struct GetRandomIn
    {
        public ushort BytesRequested;
    }

    /// <summary>TPM2_GetRandom (Part 3, 16.1): at most the size of the largest digest is returned
    /// (the TPM2B_DIGEST of the response), however many bytes were requested.</summary>
    static TpmRc GetRandom(Tpm tpm, ref CommandContext c, in GetRandomIn p, out GetRandomOut o)
    {
        var randomBytes = tpm.Scratch(Math.Min((int)p.BytesRequested, TpmLimits.MaxDigestSize));
        tpm.Random.Generate(randomBytes.Span);
        o = new GetRandomOut { RandomBytes = randomBytes };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct GetRandomOut
    {
        /// <summary>TPM2B_DIGEST.</summary>
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> RandomBytes;
    }

    /// <summary>TPM2B_SENSITIVE_DATA holds at most MAX_SYM_DATA (128) octets.</summary>
    const int MaxSymData = 128;

    [TpmParameters]
    internal partial struct StirRandomIn
    {
        [Sized(MaxSymData)] public ReadOnlyMemory<byte> InData;
    }

    /// <summary>TPM2_StirRandom (Part 3, 16.2): inData is additional input to the DRBG.
    /// Codes: TPM_RC_SIZE (P1) above 128 octets.</summary>
    static TpmRc StirRandom(Tpm tpm, ref CommandContext c, in StirRandomIn p)
    {
        tpm.Random.Stir(p.InData.Span);
        return TpmRc.Success;
    }
}
