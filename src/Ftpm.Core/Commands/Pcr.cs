using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 22 "Integrity Collection (PCR)": PCR_Extend, PCR_Event, PCR_Read, PCR_Allocate, PCR_Reset.</summary>
internal static partial class Pcr
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<PcrExtendIn>(TpmCc.PcrExtend, PcrExtend) { Handles = [new(HandleKinds.Pcr | HandleKinds.Null, AuthRole.User)] },
        new Command<PcrEventIn, PcrEventOut>(TpmCc.PcrEvent, PcrEvent) { Handles = [new(HandleKinds.Pcr | HandleKinds.Null, AuthRole.User)], DecryptFirstParameter = true },
        new Command<PcrReadIn, PcrReadOut>(TpmCc.PcrRead, PcrRead),
        new Command<PcrAllocateIn, PcrAllocateOut>(TpmCc.PcrAllocate, PcrAllocate) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Platform, AuthRole.User)], WritesNv = true, PhysicalPresence = true },
        new Command(TpmCc.PcrReset, PcrReset) { Handles = [new(HandleKinds.Pcr, AuthRole.User)] },
        // PCR authorization groups.
        new Command<PcrSetAuthPolicyIn>(TpmCc.PcrSetAuthPolicy, PcrSetAuthPolicy) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Platform, AuthRole.User)], DecryptFirstParameter = true, WritesNv = true, PhysicalPresence = true },
        new Command<PcrSetAuthValueIn>(TpmCc.PcrSetAuthValue, PcrSetAuthValue) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Pcr, AuthRole.User)], DecryptFirstParameter = true },
    ];

    /// <summary>Shared check of PCR_Extend/PCR_Event/PCR_Reset: the locality must be one the PCR's
    /// attributes allow (PC Client PCR table), else TPM_RC_LOCALITY.</summary>
    internal static bool LocalityAllows(byte localityMask, byte locality) =>
        locality <= 4 && (localityMask & (1 << locality)) != 0;

    [TpmParameters]
    internal partial struct PcrExtendIn
    {
        public TpmlDigestValues Digests;
    }

    /// <summary>TPM2_PCR_Extend (Part 3, 22.2): extends each given digest into its bank; digests for
    /// unallocated banks are ignored, TPM_RH_NULL extends nothing. Codes: TPM_RC_HASH (P1) for an
    /// unimplemented hash, TPM_RC_SIZE (P1) for more than HASH_COUNT digests, TPM_RC_LOCALITY.</summary>
    static TpmRc PcrExtend(Tpm tpm, ref CommandContext c, in PcrExtendIn p)
    {
        uint handle = c.Handles[0];
        if (handle == (uint)TpmRh.Null) return TpmRc.Success;
        int pcr = (int)handle;
        if (!LocalityAllows(PcrBanks.AttributesOf(pcr).ExtendLocalities, c.Locality)) return TpmRc.Locality;

        for (int i = 0; i < (int)p.Digests.Count; i++)
        {
            ref readonly var d = ref p.Digests.Digests[i];
            int bank = TpmAlgorithms.HashIndex(d.HashAlg);
            if (bank >= 0 && tpm.Pcrs.IsAllocated(bank, pcr))
                tpm.Pcrs.Extend(tpm.Crypto, bank, pcr, d.Digest.Digest.Span);
        }
        tpm.Pcrs.Changed(pcr);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PcrEventIn
    {
        [Sized(TpmLimits.MaxEventSize)] public ReadOnlyMemory<byte> EventData;
    }

    /// <summary>TPM2_PCR_Event (Part 3, 22.3): hashes eventData in every implemented bank, extends
    /// the allocated ones, returns all digests (TPML_DIGEST_VALUES). Codes: TPM_RC_SIZE (P1) above
    /// 1024 octets, TPM_RC_LOCALITY.</summary>
    static TpmRc PcrEvent(Tpm tpm, ref CommandContext c, in PcrEventIn p, out PcrEventOut o)
    {
        o = default;
        uint handle = c.Handles[0];
        int pcr = handle == (uint)TpmRh.Null ? -1 : (int)handle;
        if (pcr >= 0 && !LocalityAllows(PcrBanks.AttributesOf(pcr).ExtendLocalities, c.Locality)) return TpmRc.Locality;

        var hashes = TpmAlgorithms.Hashes;
        o.Digests.Count = (uint)hashes.Length;
        for (int bank = 0; bank < hashes.Length; bank++)
        {
            var digest = tpm.Scratch(TpmAlgorithms.DigestSize(hashes[bank]));
            tpm.Crypto.Hash(hashes[bank], p.EventData.Span, digest.Span);
            o.Digests.Digests[bank] = Digest(hashes[bank], digest);
            if (pcr >= 0 && tpm.Pcrs.IsAllocated(bank, pcr))
                tpm.Pcrs.Extend(tpm.Crypto, bank, pcr, digest.Span);
        }
        if (pcr >= 0) tpm.Pcrs.Changed(pcr);
        return TpmRc.Success;
    }

    /// <summary>A TPMT_HA.</summary>
    internal static TpmtHa Digest(TpmAlgId hashAlg, ReadOnlyMemory<byte> digest) =>
        new() { HashAlg = hashAlg, Digest = new TpmuHa { Digest = digest } };

    /// <summary>The response of PCR_Event and EventSequenceComplete: a digest in every implemented bank.</summary>
    [TpmParameters]
    internal partial struct PcrEventOut
    {
        public TpmlDigestValues Digests;
    }

    [TpmParameters]
    internal partial struct PcrReadIn
    {
        public TpmlPcrSelection PcrSelectionIn;
    }

    /// <summary>TPM2_PCR_Read (Part 3, 22.4): the selected, allocated PCRs in selection order, at most
    /// 8 digests (one TPML_DIGEST); pcrSelectionOut says which were returned, so a caller asks again
    /// for the rest. Codes: TPM_RC_HASH (P1) for an unimplemented bank.</summary>
    static TpmRc PcrRead(Tpm tpm, ref CommandContext c, in PcrReadIn p, out PcrReadOut o)
    {
        ref readonly var selection = ref p.PcrSelectionIn;

        // pcrSelectionOut: the same banks, with only the PCRs whose values are returned.
        int count = (int)selection.Count;
        Span<uint> returned = stackalloc uint[count];
        int digests = 0;
        for (int s = 0; s < count; s++)
        {
            ref readonly var sel = ref selection.PcrSelections[s];
            int bank = TpmAlgorithms.HashIndex(sel.Hash);
            var bits = sel.PcrSelect.Span;
            for (int pcr = 0; pcr < bits.Length * 8 && pcr < TpmLimits.PcrCount; pcr++)
            {
                if ((bits[pcr / 8] & (1 << (pcr % 8))) == 0 || !tpm.Pcrs.IsAllocated(bank, pcr)) continue;
                if (digests == TpmLimits.MaxDigestListCount) break;
                returned[s] |= 1u << pcr;
                digests++;
            }
        }

        o = default;
        o.PcrUpdateCounter = tpm.Pcrs.UpdateCounter;
        o.PcrSelectionOut.Count = (uint)count;
        o.PcrValues.Count = (uint)digests;
        int d = 0;
        for (int s = 0; s < count; s++)
        {
            ref readonly var sel = ref selection.PcrSelections[s];
            var bits = tpm.Scratch(sel.PcrSelect.Length);
            for (int octet = 0; octet < bits.Length && octet < 4; octet++)
                bits.Span[octet] = (byte)(returned[s] >> (8 * octet));
            o.PcrSelectionOut.PcrSelections[s] = new TpmsPcrSelection { Hash = sel.Hash, PcrSelect = bits };
            // The values are the PCRs' own arrays: nothing is copied before the response is marshaled.
            int bank = TpmAlgorithms.HashIndex(sel.Hash);
            for (int pcr = 0; pcr < TpmLimits.PcrCount; pcr++)
                if ((returned[s] & (1u << pcr)) != 0) o.PcrValues.Digests[d++].Buffer = tpm.Pcrs.Value(bank, pcr);
        }
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PcrReadOut
    {
        public uint PcrUpdateCounter;
        public TpmlPcrSelection PcrSelectionOut;
        public TpmlDigest PcrValues;
    }

    [TpmParameters]
    internal partial struct PcrAllocateIn
    {
        public TpmlPcrSelection PcrAllocation;
    }

    /// <summary>TPM2_PCR_Allocate (Part 3, 22.5): the allocation takes effect at the next
    /// Startup(CLEAR). Banks not named keep their current allocation. Answers allocationSuccess,
    /// maxPCR, sizeNeeded and sizeAvailable. Codes: TPM_RC_HASH (P1) for an unimplemented bank.</summary>
    static TpmRc PcrAllocate(Tpm tpm, ref CommandContext c, in PcrAllocateIn p, out PcrAllocateOut o)
    {
        var allocation = (uint[])tpm.Persistent.PcrAllocation.Clone();
        for (int s = 0; s < (int)p.PcrAllocation.Count; s++)
        {
            ref readonly var sel = ref p.PcrAllocation.PcrSelections[s];
            int bank = TpmAlgorithms.HashIndex(sel.Hash);
            uint bits = 0;
            var octets = sel.PcrSelect.Span;
            for (int i = 0; i < octets.Length; i++) bits |= (uint)octets[i] << (8 * i);
            allocation[bank] = bits & ((1u << TpmLimits.PcrCount) - 1);
        }

        int sizeNeeded = 0, sizeAvailable = 0;
        for (int bank = 0; bank < allocation.Length; bank++)
        {
            int digest = TpmAlgorithms.DigestSize(TpmAlgorithms.Hashes[bank]);
            sizeNeeded += System.Numerics.BitOperations.PopCount(allocation[bank]) * digest;
            sizeAvailable += TpmLimits.PcrCount * digest;
        }

        tpm.Persistent.PcrAllocation = allocation;
        tpm.StagePersistent();
        o = new PcrAllocateOut
        {
            AllocationSuccess = 1,
            MaxPcr = TpmLimits.PcrCount,
            SizeNeeded = (uint)sizeNeeded,
            SizeAvailable = (uint)sizeAvailable,
        };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PcrAllocateOut
    {
        /// <summary>TPMI_YES_NO.</summary>
        public byte AllocationSuccess;
        public uint MaxPcr;
        public uint SizeNeeded;
        public uint SizeAvailable;
    }

    /// <summary>TPM2_PCR_Reset (Part 3, 22.8): sets the PCR to zero in every bank. Codes:
    /// TPM_RC_LOCALITY when the PCR cannot be reset from this locality (or at all).</summary>
    static TpmRc PcrReset(Tpm tpm, ref CommandContext c)
    {
        int pcr = (int)c.Handles[0];
        if (!LocalityAllows(PcrBanks.AttributesOf(pcr).ResetLocalities, c.Locality)) return TpmRc.Locality;
        tpm.Pcrs.Reset(pcr);
        tpm.Pcrs.Changed(pcr);
        return TpmRc.Success;
    }

    // ---- PCR authorization groups (Part 3, 22.6 and 22.7) ----------------------------

    [TpmParameters]
    internal partial struct PcrSetAuthPolicyIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> AuthPolicy;
        [Check(nameof(TpmCheck.Hash), AllowNull = true)] public TpmAlgId HashAlg;
        /// <summary>TPMI_DH_PCR: a PCR handle (a parameter of this command).</summary>
        public uint PcrNum;
    }

    /// <summary>TPM2_PCR_SetAuthPolicy (Part 3, 22.6): the policy of the group pcrNum belongs to (platform
    /// authorization). Codes: TPM_RC_SIZE (P1) for a policy that is not a digest of hashAlg; TPM_RC_VALUE
    /// (P3) for a PCR in no policy group.</summary>
    static TpmRc PcrSetAuthPolicy(Tpm tpm, ref CommandContext c, in PcrSetAuthPolicyIn p)
    {
        if (p.AuthPolicy.Length != TpmAlgorithms.DigestSize(p.HashAlg)) return TpmRc.Size.AtParameter(PcrSetAuthPolicyIn.Param.AuthPolicy);
        if (!Tpm.IsPcrInGroup(p.PcrNum)) return TpmRc.Value.AtParameter(PcrSetAuthPolicyIn.Param.PcrNum);
        tpm.Persistent.PcrPolicy = p.AuthPolicy.ToArray();
        tpm.Persistent.PcrPolicyAlg = p.HashAlg;
        tpm.StagePersistent();
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PcrSetAuthValueIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> Auth;
    }

    /// <summary>TPM2_PCR_SetAuthValue (Part 3, 22.7): the authValue of the PCR's group until the next
    /// Startup(CLEAR), trailing zeros removed. Codes: TPM_RC_VALUE (unnumbered, as the reference) for a PCR
    /// in no authValue group.</summary>
    static TpmRc PcrSetAuthValue(Tpm tpm, ref CommandContext c, in PcrSetAuthValueIn p)
    {
        if (!Tpm.IsPcrInGroup(c.Handles[0])) return TpmRc.Value;
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(tpm.PcrGroupAuth);
        tpm.PcrGroupAuth = Tpm.TrimTrailingZeros(p.Auth.Span).ToArray();
        return TpmRc.Success;
    }
}
