using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Part 3, 10 "Testing": SelfTest, IncrementalSelfTest, GetTestResult. ftpm's algorithms
/// are tested before the engine serves (the crypto port's known-answer tests), so every test
/// request completes at once and nothing is left to do. A test the host cancels (the platform's
/// cancel flag) answers TPM_RC_CANCELED where the reference's tests ask for it: in its ECDSA and
/// ECSchnorr sign-and-verify test, which a full SelfTest and an IncrementalSelfTest naming either run
/// (the reference's AlgorithmTests.c, CHECK_CANCELED, only for a list other than the TPM's own).</summary>
internal static partial class Testing
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<SelfTestIn>(TpmCc.SelfTest, SelfTest),
        new Command<IncrementalSelfTestIn, IncrementalSelfTestOut>(TpmCc.IncrementalSelfTest, IncrementalSelfTest),
        new CommandOut<GetTestResultOut>(TpmCc.GetTestResult, GetTestResult),
    ];

    [TpmParameters]
    internal partial struct SelfTestIn
    {
        [Check(nameof(TpmCheck.YesNo))] public byte FullTest;
    }

    /// <summary>TPM2_SelfTest (Part 3, 10.2). Codes: TPM_RC_VALUE (P1) when fullTest is not YES/NO;
    /// TPM_RC_CANCELED (unnumbered) for a full test while the host cancels (a partial test finds every
    /// algorithm tested and runs nothing).</summary>
    static TpmRc SelfTest(Tpm tpm, ref CommandContext c, in SelfTestIn p) =>
        p.FullTest != 0 && tpm.Platform.Cancelled ? TpmRc.Canceled : TpmRc.Success;

    [TpmParameters]
    internal partial struct IncrementalSelfTestIn
    {
        public TpmlAlg ToTest;
    }

    [TpmParameters]
    internal partial struct IncrementalSelfTestOut
    {
        public TpmlAlg ToDoList;
    }

    /// <summary>TPM2_IncrementalSelfTest (Part 3, 10.3): answers an empty toDoList.
    /// Codes: TPM_RC_SIZE (P1) for a toTest list of more than MAX_ALG_LIST_SIZE (its unmarshal);
    /// TPM_RC_VALUE (P1) for an algorithm this TPM does not implement (the reference's
    /// CryptIncrementalSelfTest, which checks the whole list before it tests); TPM_RC_CANCELED
    /// (unnumbered) for a list naming ECDSA or ECSchnorr while the host cancels.</summary>
    static TpmRc IncrementalSelfTest(Tpm tpm, ref CommandContext c, in IncrementalSelfTestIn p, out IncrementalSelfTestOut o)
    {
        o = default;
        bool cancelable = false;
        for (int i = 0; i < (int)p.ToTest.Count; i++)
        {
            var alg = p.ToTest.Algorithms[i];
            if (!ImplementedAlgorithms.IsImplemented(alg)) return TpmRc.Value.AtParameter(IncrementalSelfTestIn.Param.ToTest);
            cancelable |= alg is TpmAlgId.EcDsa or TpmAlgId.EcSchnorr;
        }
        return cancelable && tpm.Platform.Cancelled ? TpmRc.Canceled : TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct GetTestResultOut
    {
        /// <summary>TPM2B_MAX_BUFFER: vendor-specific test data (none here).</summary>
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> OutData;
        public TpmRc TestResult;
    }

    /// <summary>TPM2_GetTestResult (Part 3, 10.4): empty outData and testResult TPM_RC_SUCCESS,
    /// or TPM_RC_FAILURE in failure mode (where this command still runs).</summary>
    static TpmRc GetTestResult(Tpm tpm, ref CommandContext c, out GetTestResultOut o)
    {
        o = new GetTestResultOut { TestResult = tpm.InFailureMode ? TpmRc.Failure : TpmRc.Success };
        return TpmRc.Success;
    }
}
