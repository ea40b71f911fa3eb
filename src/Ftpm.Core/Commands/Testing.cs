using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Part 3, 10 "Testing": SelfTest, IncrementalSelfTest, GetTestResult. ftpm's algorithms
/// are tested before the engine serves (the crypto port's known-answer tests), so every test
/// request completes at once and nothing is left to do.</summary>
internal static partial class Testing
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<SelfTestIn>(TpmCc.SelfTest, SelfTest),
        new Command<IncrementalSelfTestIn>(TpmCc.IncrementalSelfTest, IncrementalSelfTest),
        new Command(TpmCc.GetTestResult, GetTestResult),
    ];

    [TpmParameters]
    internal partial struct SelfTestIn
    {
        [Check(nameof(TpmCheck.YesNo))] public byte FullTest;
    }

    /// <summary>TPM2_SelfTest (Part 3, 10.2). Codes: TPM_RC_VALUE (P1) when fullTest is not YES/NO.</summary>
    static TpmRc SelfTest(Tpm tpm, ref CommandContext c, in SelfTestIn p) => TpmRc.Success;

    [TpmParameters]
    internal partial struct IncrementalSelfTestIn
    {
        public TpmlAlg ToTest;
    }

    /// <summary>TPM2_IncrementalSelfTest (Part 3, 10.3): answers an empty toDoList (TPML_ALG).
    /// Codes: TPM_RC_SIZE (P1) for a toTest list of more than MAX_ALG_LIST_SIZE (its unmarshal);
    /// TPM_RC_VALUE (P1) for an algorithm this TPM does not implement (the reference's
    /// CryptIncrementalSelfTest).</summary>
    static TpmRc IncrementalSelfTest(Tpm tpm, ref CommandContext c, in IncrementalSelfTestIn p)
    {
        for (int i = 0; i < (int)p.ToTest.Count; i++)
            if (!ImplementedAlgorithms.IsImplemented(p.ToTest.Algorithms[i])) return TpmRc.Value.AtParameter(IncrementalSelfTestIn.Param.ToTest);
        c.Out.WriteUInt32(0);
        return TpmRc.Success;
    }

    /// <summary>TPM2_GetTestResult (Part 3, 10.4): empty outData and testResult TPM_RC_SUCCESS,
    /// or TPM_RC_FAILURE in failure mode (where this command still runs).</summary>
    static TpmRc GetTestResult(Tpm tpm, ref CommandContext c)
    {
        c.Out.WriteUInt16(0);
        c.Out.WriteUInt32((uint)(tpm.InFailureMode ? TpmRc.Failure : TpmRc.Success));
        return TpmRc.Success;
    }
}
