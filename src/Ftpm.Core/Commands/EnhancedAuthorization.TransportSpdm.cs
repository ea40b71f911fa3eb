using System.Buffers.Binary;
using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

// Part 3, 23.26 (1.84): PolicyTransportSPDM. The policy update and the session's secure-channel flags are
// all the command does; the condition is checked when the session authorizes a command
// (Tpm.CheckPolicySession), and since this TPM has no SPDM transport it never holds there (TPM_RC_CHANNEL,
// the reference's answer without an active SPDM session).
internal static partial class EnhancedAuthorization
{
    internal static readonly CommandInfo[] TransportSpdmCommands =
    [
        new Command<PolicyTransportSpdmIn>(TpmCc.PolicyTransportSPDM, PolicyTransportSpdm) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
    ];

    [TpmParameters]
    internal partial struct PolicyTransportSpdmIn
    {
        /// <summary>TPM2B_NAME of the requester's SPDM key, or empty.</summary>
        [Sized(MaxNameSize)] public ReadOnlyMemory<byte> ReqKeyName;
        /// <summary>TPM2B_NAME of the TPM's SPDM key, or empty.</summary>
        [Sized(MaxNameSize)] public ReadOnlyMemory<byte> TpmKeyName;
    }

    /// <summary>A key Name given to PolicyTransportSPDM: empty, or a hash algorithm this TPM implements and
    /// a digest of its size. TPM_RC_SIZE or TPM_RC_HASH at <paramref name="parameter"/> otherwise.</summary>
    static TpmRc CheckKeyName(ReadOnlySpan<byte> name, int parameter)
    {
        if (name.IsEmpty) return TpmRc.Success;
        if (name.Length < 2) return TpmRc.Size.AtParameter(parameter);
        var hashAlg = (TpmAlgId)BinaryPrimitives.ReadUInt16BigEndian(name);
        if (TpmCheck.Hash(hashAlg, allowNull: false) != TpmRc.Success) return TpmRc.Hash.AtParameter(parameter);
        return TpmAlgorithms.DigestSize(hashAlg) == name.Length - 2 ? TpmRc.Success : TpmRc.Size.AtParameter(parameter);
    }

    /// <summary>TPM2_PolicyTransportSPDM (Part 3, 23.26): policyDigest' = H(policyDigest ||
    /// TPM_CC_PolicyTransportSPDM || scKeyNameHash), where scKeyNameHash = H(reqKeyName.size || reqKeyName ||
    /// tpmKeyName.size || tpmKeyName) when either Name is given and empty otherwise. Codes: TPM_RC_VALUE
    /// (unnumbered) when the session already has it; TPM_RC_SIZE or TPM_RC_HASH (P1, P2) for a Name that is
    /// not a hash algorithm and a digest of its size.</summary>
    static TpmRc PolicyTransportSpdm(Tpm tpm, ref CommandContext c, in PolicyTransportSpdmIn p)
    {
        var session = SessionOf(tpm, ref c, 0);
        if (session.CheckSecureChannel) return TpmRc.Value;
        var req = p.ReqKeyName.Span;
        var key = p.TpmKeyName.Span;
        var rc = CheckKeyName(req, PolicyTransportSpdmIn.Param.ReqKeyName);
        if (rc != TpmRc.Success) return rc;
        rc = CheckKeyName(key, PolicyTransportSpdmIn.Param.TpmKeyName);
        if (rc != TpmRc.Success) return rc;

        byte[] scKeyNameHash = [];
        if (!req.IsEmpty || !key.IsEmpty)
        {
            using var h = tpm.Crypto.HashSetup(session.AuthHash);
            Span<byte> size = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(size, (ushort)req.Length);
            h.Update(size);
            h.Update(req);
            BinaryPrimitives.WriteUInt16BigEndian(size, (ushort)key.Length);
            h.Update(size);
            h.Update(key);
            scKeyNameHash = new byte[TpmAlgorithms.DigestSize(session.AuthHash)];
            h.Finish(scKeyNameHash);
        }
        Extend(tpm, session, TpmCc.PolicyTransportSPDM, scKeyNameHash);
        session.ScKeyNameHash = scKeyNameHash;
        session.CheckSecureChannel = true;
        session.CheckReqKey = !req.IsEmpty;
        session.CheckTpmKey = !key.IsEmpty;
        return TpmRc.Success;
    }
}
