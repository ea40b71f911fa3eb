using Ftpm.Dispatch;

namespace Ftpm;

// Command audit (Part 1, 19.6.x "Command Audit"; the reference's CommandAudit.c): for each audited command
// that succeeds, commandAuditDigest' = H_auditAlg(commandAuditDigest || cpHash || rpHash). The digest is
// "state reset" data (empty after a TPM Reset); each time it starts from empty the audit counter, kept in
// NV, increments. TPM2_GetCommandAuditDigest (attestation) signs it.
public sealed partial class Tpm
{
    /// <summary>commandAuditDigest; empty before the first audited command. A single octet marks a change of
    /// the audit hash: the next audited command starts a new digest instead of extending.</summary>
    internal byte[] CommandAuditDigest = [];

    internal bool IsAudited(TpmCc code) => _persistent.AuditCommands.Contains(code);

    /// <summary>TPM2_SetCommandCodeAuditStatus's list changes: returns whether anything changed. Shutdown
    /// cannot be audited and SetCommandCodeAuditStatus cannot stop being audited; unimplemented commands
    /// are ignored.</summary>
    internal bool AuditSet(TpmCc code, bool audit)
    {
        if (CommandTable.Find(code) is null) return false;
        var list = _persistent.AuditCommands;
        if (audit)
        {
            if (code == TpmCc.Shutdown || list.Contains(code)) return false;
            list.Add(code);
            list.Sort();
            return true;
        }
        if (code == TpmCc.SetCommandCodeAuditStatus) return false;
        return list.Remove(code);
    }

    /// <summary>A new audit hash: the digest starts over at the next audited command.</summary>
    internal void AuditSetHash(TpmAlgId hashAlg)
    {
        _persistent.AuditHashAlg = hashAlg;
        CommandAuditDigest = [0];
    }

    /// <summary>After an audited command succeeded (the reference's CommandAudit).</summary>
    void CommandAudit(ReadOnlySpan<byte> responseParameters)
    {
        if (CommandAuditDigest.Length == 1)
        {
            CommandAuditDigest = [];
            return;
        }
        var hashAlg = _persistent.AuditHashAlg;
        if (CommandAuditDigest.Length == 0)
        {
            CommandAuditDigest = new byte[TpmAlgorithms.DigestSize(hashAlg)];
            _persistent.AuditCounter++;
            StagePersistent();
        }
        using var h = _crypto.HashSetup(hashAlg);
        h.Update(CommandAuditDigest);
        h.Update(_hashes.CpHash(_crypto, hashAlg));
        h.Update(_hashes.RpHash(_crypto, hashAlg, responseParameters));
        h.Finish(CommandAuditDigest);
    }
}
