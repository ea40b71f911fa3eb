using System.Runtime.CompilerServices;
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

    [InlineArray(MaxAlgs)]
    internal struct TpmAlgIdArray { TpmAlgId _element; }

    /// <summary>TPML_ALG holds at most MAX_ALG_LIST_SIZE (64) algorithms (Part 2, 10.9.3).</summary>
    internal const int MaxAlgs = 64;

    [TpmParameters]
    internal partial struct IncrementalSelfTestIn
    {
        public uint Count;
        [List(nameof(Count))] public TpmAlgIdArray ToTest;
    }

    /// <summary>TPM2_IncrementalSelfTest (Part 3, 10.3): answers an empty toDoList (TPML_ALG).
    /// Codes: TPM_RC_SIZE (P1) for more than 64 algorithms.</summary>
    static TpmRc IncrementalSelfTest(Tpm tpm, ref CommandContext c, in IncrementalSelfTestIn p)
    {
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
