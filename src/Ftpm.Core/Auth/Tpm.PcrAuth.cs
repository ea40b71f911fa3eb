namespace Ftpm;

// PCR authorization groups (Part 1, 17.x "PCR Authorization"; the reference's PCRBelongsAuthGroup and
// PCRBelongsPolicyGroup): as in the reference's PC Client build, PCRs 20-22 form one authValue group and
// one policy group. The group's authValue (TPM2_PCR_SetAuthValue) is "state clear" data, kept only for a
// TPM Resume; its policy (TPM2_PCR_SetAuthPolicy, platform) is persistent. Other PCRs have an empty
// authValue and no policy.
public sealed partial class Tpm
{
    /// <summary>The PCRs of the one authValue group and the one policy group: 20, 21 and 22.</summary>
    internal const uint PcrGroupMask = 0x00700000;

    /// <summary>The authValue of the PCR group (TPM2_PCR_SetAuthValue).</summary>
    internal byte[] PcrGroupAuth = [];

    internal static bool IsPcrInGroup(uint pcr) => pcr < TpmLimits.PcrCount && (PcrGroupMask & (1u << (int)pcr)) != 0;

    /// <summary>The authValue of a PCR: the group's, or empty.</summary>
    internal ReadOnlySpan<byte> PcrAuthValueOf(uint pcr) => IsPcrInGroup(pcr) ? PcrGroupAuth : [];
}
