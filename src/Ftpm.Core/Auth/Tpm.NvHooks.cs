namespace Ftpm;

// Authorization facts of NV indices, for the NV issue (issue 5) to fill in from TPMA_NV and the index's
// public area. Until then no NV index exists (CheckHandle answers TPM_RC_HANDLE), so none of these
// is reached.
public sealed partial class Tpm
{
    /// <summary>Whether the index's authValue may authorize <paramref name="code"/> (the reference's
    /// IsAuthValueAvailable for NV): TPMA_NV_AUTHWRITE for writing commands, TPMA_NV_AUTHREAD for reading
    /// ones, a PIN index only while written and pinCount &lt; pinLimit.</summary>
    bool NvAuthValueAvailable(uint handle, TpmCc code, Dispatch.AuthRole role) => false;

    /// <summary>Whether the index's authPolicy may authorize the command: a non-empty policy and
    /// TPMA_NV_POLICYWRITE / POLICYREAD (or a policy session is required for the role).</summary>
    bool NvAuthPolicyAvailable(uint handle, TpmCc code, Dispatch.AuthRole role) => false;

    /// <summary>The index's authPolicy and nameAlg.</summary>
    ReadOnlySpan<byte> NvAuthPolicy(uint handle, out TpmAlgId hashAlg)
    {
        hashAlg = TpmAlgId.Null;
        return [];
    }

    /// <summary>TPMA_NV_NO_DA.</summary>
    bool NvIsDaExempt(uint handle) => true;

    /// <summary>TPM_RH_PLATFORM for an index with TPMA_NV_PLATFORMCREATE, else TPM_RH_OWNER (tickets of PolicySecret).</summary>
    uint NvHierarchy(uint handle) => (uint)TpmRh.Owner;

    /// <summary>TPMA_NV_WRITTEN, for TPM2_PolicyNvWritten's check at authorization.</summary>
    bool NvIsWritten(uint handle) => false;
}
