using System.Runtime.CompilerServices;
using Ftpm.Marshal;

namespace Ftpm.Tests.Marshal;

// Test-only declarations covering generator features the Part 2 types in Ftpm.Core do not use yet.

[TpmStruct("TEST_INNER")]
internal partial struct TestInner
{
    public ushort A;
    public uint B;
}

/// <summary>A TPM2B holding a structure, between two plain fields.</summary>
[TpmStruct("TEST_SIZED_OUTER")]
internal partial struct TestSizedOuter
{
    public byte Tag;
    [Sized] public TestInner Inner;
    public byte Trailer;
}

/// <summary>A union with an empty arm, a structure arm, a primitive arm chosen by two selectors, and a fixed buffer.</summary>
[TpmUnion("TEST_UNION", typeof(TpmAlgId))]
[EmptyArm(TpmAlgId.Null)]
internal partial struct TestUnion
{
    [Arm(TpmAlgId.Sha256)] public TestInner Inner;
    [Arm(TpmAlgId.Rsa), Arm(TpmAlgId.Ecc)] public uint Number;
    [Arm(TpmAlgId.Aes, FixedSize = 16)] public ReadOnlyMemory<byte> Block;
}

[TpmStruct("TEST_SELECTED")]
internal partial struct TestSelected
{
    public TpmAlgId Type;
    public byte Between;
    [Selector(nameof(Type))] public TestUnion Value;
}

[TpmParameters]
internal partial struct TestParameters
{
    public uint First;
    [Sized(8)] public ReadOnlyMemory<byte> Second;
    [Check(nameof(TpmCheck.YesNo))] public byte Third;
}

/// <summary>A list of enums whose elements are checked (like TPML_ALG with TPMI_ALG_HASH).</summary>
[InlineArray(3)]
public struct TestHashArray { [Check(nameof(TpmCheck.Hash))] TpmAlgId _element; }

[TpmStruct("TEST_HASH_LIST")]
internal partial struct TestHashList
{
    public ushort Count;
    [List(nameof(Count))] public TestHashArray Hashes;
}

public static partial class TestOuter
{
    /// <summary>A marshaled type nested in a class.</summary>
    [TpmStruct("TEST_NESTED")]
    internal partial struct Nested
    {
        public ulong Value;
        [Sized8(4)] public ReadOnlyMemory<byte> Short;
        [FixedSize(2)] public ReadOnlyMemory<byte> Pair;
    }
}
