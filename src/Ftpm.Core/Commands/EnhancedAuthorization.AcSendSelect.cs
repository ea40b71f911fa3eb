using Ftpm.Auth;
using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

// Part 3, 32.4: Policy_AC_SendSelect, the policy command of the Attached Components chapter. It only extends
// a policy session (it shares this family's policy helpers); the AC commands themselves (AC_GetCapability,
// AC_Send) are not implemented, as in the reference's default build, so a session that went through it can
// authorize nothing here, but its digest is the one a TPM with attached components computes.
internal static partial class EnhancedAuthorization
{
    // (Handles are spelled out: a static field of another file of this partial class may not be set yet.)
    internal static readonly CommandInfo[] AcSendSelectCommands =
    [
        new Command<PolicyAcSendSelectIn>(TpmCc.PolicyAcSendSelect, PolicyAcSendSelect) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
    ];

    [TpmParameters]
    internal partial struct PolicyAcSendSelectIn
    {
        /// <summary>TPM2B_NAME of the object to be sent.</summary>
        [Sized(MaxNameSize)] public ReadOnlyMemory<byte> ObjectName;
        /// <summary>TPM2B_NAME of the authHandle of AC_Send.</summary>
        [Sized(MaxNameSize)] public ReadOnlyMemory<byte> AuthHandleName;
        /// <summary>TPM2B_NAME of the attached component.</summary>
        [Sized(MaxNameSize)] public ReadOnlyMemory<byte> AcName;
        [Check(nameof(TpmCheck.YesNo))] public byte IncludeObject;
    }

    /// <summary>TPM2_Policy_AC_SendSelect (Part 3, 32.4): the session's cpHash becomes H(objectName ||
    /// authHandleName || acName) and its command TPM_CC_AC_Send; policyDigest' = H(policyDigest ||
    /// TPM_CC_Policy_AC_SendSelect || [objectName] || authHandleName || acName || includeObject), objectName
    /// only when includeObject is YES. Codes: TPM_RC_CPHASH when the session already has a cpHash (or
    /// nameHash, templateHash, parameters hash); TPM_RC_COMMAND_CODE when it already names a command;
    /// TPM_RC_VALUE (P4) for includeObject other than YES or NO (unmarshaling).</summary>
    static TpmRc PolicyAcSendSelect(Tpm tpm, ref CommandContext c, in PolicyAcSendSelectIn p)
    {
        var session = SessionOf(tpm, ref c, 0);
        if (session.HashKind != PolicyHashKind.None) return TpmRc.Cphash;
        if (session.CommandCode != 0) return TpmRc.CommandCode;

        var cpHash = new byte[session.PolicyDigest.Length];
        using (var h = tpm.Crypto.HashSetup(session.AuthHash))
        {
            h.Update(p.ObjectName.Span);
            h.Update(p.AuthHandleName.Span);
            h.Update(p.AcName.Span);
            h.Finish(cpHash);
        }
        int n = (p.IncludeObject != 0 ? p.ObjectName.Length : 0) + p.AuthHandleName.Length + p.AcName.Length + 1;
        var data = new byte[n];
        int at = 0;
        if (p.IncludeObject != 0) { p.ObjectName.Span.CopyTo(data); at = p.ObjectName.Length; }
        p.AuthHandleName.Span.CopyTo(data.AsSpan(at));
        at += p.AuthHandleName.Length;
        p.AcName.Span.CopyTo(data.AsSpan(at));
        data[^1] = p.IncludeObject;
        Extend(tpm, session, TpmCc.PolicyAcSendSelect, data);
        session.HashKind = PolicyHashKind.CpHash;
        session.PolicyHash = cpHash;
        session.CommandCode = TpmCc.AcSend;
        return TpmRc.Success;
    }
}
