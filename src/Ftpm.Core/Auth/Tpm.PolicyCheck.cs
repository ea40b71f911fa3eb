using System.Security.Cryptography;
using Ftpm.Auth;
using Ftpm.Dispatch;

namespace Ftpm;

// Authorization with a policy session (Part 1, 19.7.x "Policy Session"): what the Policy commands
// accumulated in the session must hold for the command it authorizes.
public sealed partial class Tpm
{
    /// <summary>
    /// The reference's CheckPolicyAuthSession: TPM_RC_MODE for PolicySecret authorized by a policy that
    /// neither needs the password nor the authValue; TPM_RC_PCR_CHANGED when PCRs changed since PolicyPCR;
    /// TPM_RC_POLICY_FAIL when policyDigest or its hash differ from the entity's authPolicy;
    /// TPM_RC_EXPIRED past the policy's timeout; TPM_RC_POLICY_CC for another command than
    /// PolicyCommandCode named (TPM_RC_POLICY_FAIL without one for ADMIN and DUP roles);
    /// TPM_RC_LOCALITY; TPM_RC_PP; TPM_RC_POLICY_FAIL for a cpHash, nameHash or NV written state that
    /// does not match.
    /// </summary>
    TpmRc CheckPolicySession(TpmCc code, ref AuthCommand s, byte locality)
    {
        var session = s.Session!;
        uint handle = s.AssociatedHandle;
        if (code == TpmCc.PolicySecret && !session.IsPasswordNeeded && !session.IsAuthValueNeeded)
            return TpmRc.Mode;
        if (session.PcrCounterSet && session.PcrCounter != Pcrs.UpdateCounter)
            return TpmRc.PcrChanged;

        var authPolicy = AuthPolicyOf(handle, out var policyAlg);
        if (!CryptographicOperations.FixedTimeEquals(session.PolicyDigest, authPolicy)) return TpmRc.PolicyFail;
        if (policyAlg != session.AuthHash) return TpmRc.PolicyFail;

        if (session.Timeout != 0 && (session.Timeout < Time || session.Epoch != _timeEpoch))
            return TpmRc.Expired;

        if (session.CommandCode != 0)
        {
            if (session.CommandCode != code) return TpmRc.PolicyCc;
        }
        else if (s.Role is AuthRole.Admin or AuthRole.Dup)
        {
            // An ADMIN or DUP authorization must name its command (Part 1, 19.7.x).
            return TpmRc.PolicyFail;
        }

        if (session.CommandLocality != 0 && !LocalityMatches(session.CommandLocality, locality))
            return TpmRc.Locality;

        if (session.IsPpRequired && !_platform.PhysicalPresence) return TpmRc.Pp;

        if (session.HashKind != PolicyHashKind.None)
        {
            bool ok = session.HashKind switch
            {
                PolicyHashKind.CpHash => CryptographicOperations.FixedTimeEquals(
                    session.PolicyHash, _hashes.CpHash(_crypto, session.AuthHash)),
                PolicyHashKind.NameHash => CryptographicOperations.FixedTimeEquals(session.PolicyHash, NameHash(session.AuthHash)),
                PolicyHashKind.TemplateHash => TemplateHashMatches(code, session),
                PolicyHashKind.ParametersHash => ParametersHashMatches(code, session),
                _ => false,
            };
            if (!ok) return TpmRc.PolicyFail;
        }

        if (session.CheckNvWritten)
        {
            if (KindOf(handle) != HandleKinds.NvIndex) return TpmRc.PolicyFail;
            if (NvIsWritten(handle) != session.NvWrittenState) return TpmRc.PolicyFail;
        }

        // PolicyTransportSPDM: the command must have come through an SPDM secure channel. This TPM has no
        // SPDM transport, so none did: TPM_RC_CHANNEL, as the reference answers without an SPDM session.
        if (session.CheckSecureChannel) return TpmRc.Channel;
        return TpmRc.Success;
    }

    /// <summary>TPMA_LOCALITY matching (Part 2, 8.5): bits 0-4 name localities 0-4; a value above 31 is
    /// one extended locality.</summary>
    internal static bool LocalityMatches(byte allowed, byte locality)
    {
        if (locality < 5) return allowed <= 31 && (allowed & (1 << locality)) != 0;
        if (locality > 31) return allowed == locality;
        return false;
    }

    /// <summary>TPM2_PolicyTemplate's check (the reference's CompareTemplateHash): the command is Create,
    /// CreatePrimary or CreateLoaded and H(inPublic), its second parameter's content, is templateHash.</summary>
    bool TemplateHashMatches(TpmCc code, Auth.Session session)
    {
        if (code is not (TpmCc.Create or TpmCc.CreatePrimary or TpmCc.CreateLoaded)) return false;
        var parameters = _hashes.Parameters.Span;
        if (parameters.Length < 2) return false;
        int first = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(parameters);
        if (first > parameters.Length - 2) return false;
        var rest = parameters[(2 + first)..];
        if (rest.Length < 2) return false;
        int size = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(rest);
        if (size > rest.Length - 2) return false;
        Span<byte> digest = stackalloc byte[TpmLimits.MaxDigestSize];
        int n = _crypto.Hash(session.AuthHash, rest.Slice(2, size), digest);
        return CryptographicOperations.FixedTimeEquals(digest[..n], session.PolicyHash);
    }

    /// <summary>TPM2_PolicyParameters's check (the reference's CompareParametersHash): H(commandCode ||
    /// parameters as received) is pHash.</summary>
    bool ParametersHashMatches(TpmCc code, Auth.Session session)
    {
        using var h = _crypto.HashSetup(session.AuthHash);
        Span<byte> cc = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(cc, (uint)code);
        h.Update(cc);
        h.Update(_hashes.Parameters.Span);
        Span<byte> digest = stackalloc byte[TpmLimits.MaxDigestSize];
        int n = h.Finish(digest);
        return CryptographicOperations.FixedTimeEquals(digest[..n], session.PolicyHash);
    }

    /// <summary>nameHash of the running command: H(Name1 || Name2 || ...) over its handles (Part 3, 23.x PolicyNameHash).</summary>
    byte[] NameHash(TpmAlgId hashAlg)
    {
        using var h = _crypto.HashSetup(hashAlg);
        for (int i = 0; i < _hashes.NameCount; i++) h.Update(_hashes.Name(i));
        var digest = new byte[TpmAlgorithms.DigestSize(hashAlg)];
        h.Finish(digest);
        return digest;
    }
}
