using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm;

// Authorization facts of NV indices (Part 1, 19.7.4-19.7.5), answered from the index table.
public sealed partial class Tpm
{
    /// <summary>Commands that write an index (the rest that authorize with an index read it): the command table's fact.</summary>
    static bool NvWrites(TpmCc code) => CommandTable.Find(code) is { WritesNvIndex: true };

    /// <summary>Whether the index's authValue may authorize <paramref name="code"/> (the reference's
    /// IsAuthValueAvailable for NV): TPMA_NV_AUTHWRITE for writing commands, TPMA_NV_AUTHREAD for reading
    /// ones, a PIN index only while written and pinCount &lt; pinLimit. The ADMIN role (NV_ChangeAuth,
    /// NV_UndefineSpaceSpecial) is never given by the authValue.</summary>
    bool NvAuthValueAvailable(uint handle, TpmCc code, AuthRole role) =>
        role == AuthRole.User && Nv.IsAuthValueAvailable(handle, NvWrites(code));

    /// <summary>Whether the index's authPolicy may authorize the command: TPMA_NV_POLICYWRITE / POLICYREAD,
    /// and always for the ADMIN role.</summary>
    bool NvAuthPolicyAvailable(uint handle, TpmCc code, AuthRole role) =>
        role == AuthRole.Admin ? Nv.Get(handle) is not null : Nv.IsPolicyAvailable(handle, NvWrites(code));

    /// <summary>The index's authPolicy and nameAlg.</summary>
    ReadOnlySpan<byte> NvAuthPolicy(uint handle, out TpmAlgId hashAlg)
    {
        var index = Nv.Get(handle);
        hashAlg = index?.NameAlg ?? TpmAlgId.Null;
        return index is null ? [] : index.AuthPolicy;
    }

    /// <summary>TPMA_NV_NO_DA.</summary>
    bool NvIsDaExempt(uint handle) => Nv.IsDaExempt(handle);

    /// <summary>TPM_RH_PLATFORM for an index with TPMA_NV_PLATFORMCREATE, else TPM_RH_OWNER (tickets of PolicySecret).</summary>
    uint NvHierarchy(uint handle) =>
        Nv.Get(handle) is { } index && index.Attributes.Has(TpmaNv.PlatformCreate) ? (uint)TpmRh.Platform : (uint)TpmRh.Owner;

    /// <summary>TPMA_NV_WRITTEN, for TPM2_PolicyNvWritten's check at authorization.</summary>
    bool NvIsWritten(uint handle) => Nv.Get(handle)?.IsWritten ?? false;
}
