using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 19 "Ephemeral EC Keys": TPM2_Commit and TPM2_EC_Ephemeral, the first phase of the
/// split operations (ECDAA signing, two-phase key exchange). Each uses one commit count; its ephemeral
/// value r is derived again from the count when TPM2_Sign or TPM2_ZGen_2Phase consumes it (see
/// <c>Tpm.Commit.cs</c>).</summary>
internal static partial class EphemeralEc
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<CommitIn, CommitOut>(TpmCc.Commit, Commit) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
        new Command<EcEphemeralIn, EcEphemeralOut>(TpmCc.EcEphemeral, EcEphemeral) { EncryptFirstResponseParameter = true },
    ];

    [TpmParameters]
    internal partial struct CommitIn
    {
        /// <summary>Absent as two empty coordinates (size 4: an empty TPM2B_ECC_POINT is TPM_RC_SIZE).</summary>
        public Tpm2bEccPoint P1;
        /// <summary>TPM2B_SENSITIVE_DATA: the octets whose hash is x2.</summary>
        [Sized(TpmLimits.MaxSymData)] public ReadOnlyMemory<byte> S2;
        /// <summary>TPM2B_ECC_PARAMETER.</summary>
        [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> Y2;
    }

    /// <summary>
    /// TPM2_Commit (Part 3, 19.2): for an ECDAA key, with r the ephemeral value of the next count,
    /// K = d·P2 and L = r·P2 when s2 and y2 give P2 = (H_nameAlg(s2) mod p, y2), and E = r·P1 when P1 is
    /// given, or r·G when neither is. Points not computed are empty. The count becomes outstanding and its
    /// low 16 bits are returned. Codes: TPM_RC_KEY (H1) for a key that is not ECC, or that has no private
    /// part when P2 is given; TPM_RC_SCHEME (H1) for a key whose scheme is not the anonymous one (ECDAA);
    /// TPM_RC_SIZE (P3) when only one of s2 and y2 is given; TPM_RC_ECC_POINT (P2) when P2 is not on the
    /// key's curve, (P1) when P1 is not.
    /// </summary>
    static TpmRc Commit(Tpm tpm, ref CommandContext c, in CommitIn p, out CommitOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || key.Type != TpmAlgId.Ecc) return TpmRc.Key.AtHandle(1);
        // Only a key of the anonymous scheme commits (the reference's CryptIsSchemeAnonymous: ECDAA).
        if (key.Public.Parameters.EccDetail.Scheme.Scheme != TpmAlgId.EcDaa) return TpmRc.Scheme.AtHandle(1);
        if (p.S2.IsEmpty != p.Y2.IsEmpty) return TpmRc.Size.AtParameter(CommitIn.Param.Y2);

        var curve = key.Asymmetric!.Curve;
        int size = (key.Asymmetric.KeyBits + 7) / 8;
        Span<byte> x2 = stackalloc byte[size];
        bool hasP2 = !p.S2.IsEmpty;
        if (hasP2)
        {
            Span<byte> digest = stackalloc byte[TpmLimits.MaxDigestSize];
            int n = tpm.Crypto.Hash(key.NameAlg, p.S2.Span, digest);
            tpm.Crypto.EccReduceToField(curve, digest[..n], x2);
            if (!tpm.Crypto.EccIsOnCurve(curve, x2, p.Y2.Span)) return TpmRc.EccPoint.AtParameter(CommitIn.Param.S2);
            if (!key.HasSensitive) return TpmRc.Key.AtHandle(1);
        }
        var p1 = p.P1.Point;
        bool hasP1 = !p1.X.IsEmpty || !p1.Y.IsEmpty;
        if (hasP1 && !tpm.Crypto.EccIsOnCurve(curve, p1.X.Span, p1.Y.Span)) return TpmRc.EccPoint.AtParameter(CommitIn.Param.P1);
        // With P2 the commit takes three point multiplications, and the host may cancel between them
        // (the reference's CryptEccCommitCompute asks _plat__IsCanceled after K): TPM_RC_CANCELED, and the
        // commit counter does not move.
        if (hasP2 && tpm.Platform.Cancelled) return TpmRc.Canceled;

        using var r = tpm.CommitKey(curve, key.Name);
        if (r is null) return TpmRc.NoResult;
        var kx = tpm.Scratch(size);
        var ky = tpm.Scratch(size);
        var lx = tpm.Scratch(size);
        var ly = tpm.Scratch(size);
        var ex = tpm.Scratch(size);
        var ey = tpm.Scratch(size);
        if (hasP2 && (!tpm.Crypto.EccMultiply(key.Asymmetric, x2, p.Y2.Span, kx.Span, ky.Span)
            || !tpm.Crypto.EccMultiply(r, x2, p.Y2.Span, lx.Span, ly.Span))) return TpmRc.NoResult;
        if (hasP1)
        {
            if (!tpm.Crypto.EccMultiply(r, p1.X.Span, p1.Y.Span, ex.Span, ey.Span)) return TpmRc.NoResult;
        }
        else if (!hasP2)
        {
            r.ExportPublic(ex.Span, ey.Span);
        }
        ushort counter = tpm.CommitAdvance();

        // Output: K and L only with P2; E with P1, or alone when neither is given.
        bool hasE = hasP1 || !hasP2;
        o = new CommitOut
        {
            K = hasP2 ? Asymmetric.Point(kx, ky) : Asymmetric.Point(default, default),
            L = hasP2 ? Asymmetric.Point(lx, ly) : Asymmetric.Point(default, default),
            E = hasE ? Asymmetric.Point(ex, ey) : Asymmetric.Point(default, default),
            Counter = counter,
        };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct CommitOut
    {
        public Tpm2bEccPoint K;
        public Tpm2bEccPoint L;
        public Tpm2bEccPoint E;
        public ushort Counter;
    }

    [TpmParameters]
    internal partial struct EcEphemeralIn
    {
        /// <summary>TPMI_ECC_CURVE: an implemented curve, else TPM_RC_CURVE.</summary>
        [Check(nameof(TpmCheck.EccCurve))] public TpmEccCurve CurveId;
    }

    /// <summary>TPM2_EC_Ephemeral (Part 3, 19.3): the public point Q = r·G of the ephemeral value r of the
    /// next count on the curve (no key: r is bound to no Name), for TPM2_ZGen_2Phase to use. Codes:
    /// TPM_RC_CURVE (P1) for a curve that is not implemented (unmarshaling).</summary>
    static TpmRc EcEphemeral(Tpm tpm, ref CommandContext c, in EcEphemeralIn p, out EcEphemeralOut o)
    {
        o = default;
        using var r = tpm.CommitKey(p.CurveId, []);
        if (r is null) return TpmRc.NoResult;
        var x = tpm.Scratch(TpmLimits.MaxEccKeyBytes);
        var y = tpm.Scratch(TpmLimits.MaxEccKeyBytes);
        var (nx, ny) = r.ExportPublic(x.Span, y.Span);
        o = new EcEphemeralOut { Q = Asymmetric.Point(x[..nx], y[..ny]), Counter = tpm.CommitAdvance() };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct EcEphemeralOut
    {
        public Tpm2bEccPoint Q;
        public ushort Counter;
    }
}
