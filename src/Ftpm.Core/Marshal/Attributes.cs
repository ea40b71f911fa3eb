namespace Ftpm.Marshal;

// The vocabulary that declares Part 2 structures once, in spec order. Ftpm.Generators reads
// these attributes and writes Read/Write for each declared type (see STYLE.md "Marshaling is
// generated from one declaration"). Field order is wire order.

/// <summary>A Part 2 structure (TPMS_, TPMT_, TPML_, TPM2B_ holding fields). The generator adds
/// <c>static TpmRc Read(ref TpmReader, out T)</c> and <c>void Write(ref TpmWriter)</c>.</summary>
[AttributeUsage(AttributeTargets.Struct)]
internal sealed class TpmStructAttribute(string specName) : Attribute
{
    public string SpecName { get; } = specName;
}

/// <summary>A Part 3 command's parameter area (or a response's). Like <see cref="TpmStructAttribute"/>,
/// but an unmarshal failure in the n-th field is numbered TPM_RC_P + n (Part 2, 6.6.3).</summary>
[AttributeUsage(AttributeTargets.Struct)]
internal sealed class TpmParametersAttribute : Attribute;

/// <summary>A Part 2 union (TPMU_). The generator adds <c>static TpmRc Read(ref TpmReader, S selector, out T)</c>
/// and <c>void Write(ref TpmWriter, S selector)</c>, where S is <paramref name="selectorType"/>.
/// A selector that names no arm gives TPM_RC_SELECTOR.</summary>
[AttributeUsage(AttributeTargets.Struct)]
internal sealed class TpmUnionAttribute(string specName, Type selectorType) : Attribute
{
    public string SpecName { get; } = specName;
    public Type SelectorType { get; } = selectorType;
}

/// <summary>On a union field: the selector value(s) that choose it. On a byte-buffer field,
/// <see cref="FixedSize"/> gives the arm's length (TPMU_HA: the digest size of each hash).</summary>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = true)]
internal sealed class ArmAttribute(object selector) : Attribute
{
    public object Selector { get; } = selector;
    public int FixedSize { get; set; }
}

/// <summary>On a union: a selector value whose arm is empty (e.g. TPM_ALG_NULL).</summary>
[AttributeUsage(AttributeTargets.Struct, AllowMultiple = true)]
internal sealed class EmptyArmAttribute(object selector) : Attribute
{
    public object Selector { get; } = selector;
}

/// <summary>On a union-typed field: the earlier field whose value selects the arm (go-tpm's <c>tag=</c>).</summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class SelectorAttribute(string field) : Attribute
{
    public string Field { get; } = field;
}

/// <summary>A size-prefixed field. On <c>ReadOnlyMemory&lt;byte&gt;</c>: a TPM2B buffer of at most
/// <paramref name="maxSize"/> bytes (larger: TPM_RC_SIZE). On a structure-typed field: a TPM2B holding
/// that structure, whose size must match what the structure consumes (else TPM_RC_SIZE).</summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class SizedAttribute(int maxSize = 0) : Attribute
{
    public int MaxSize { get; } = maxSize;

    /// <summary>On <c>ReadOnlyMemory&lt;byte&gt;</c>: the [TpmStruct] a non-empty buffer holds (TPM2B_SENSITIVE:
    /// empty, or a TPMT_SENSITIVE). The field keeps the bytes, but they are checked as the reference
    /// unmarshals such a TPM2B: the structure is read from the size field onward, failing with its own
    /// codes, and must use exactly the size octets (else TPM_RC_SIZE).</summary>
    public Type? Holds { get; set; }
}

/// <summary>A buffer with a one-octet size prefix of at most <paramref name="maxSize"/> (larger: TPM_RC_VALUE).</summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class Sized8Attribute(int maxSize) : Attribute
{
    public int MaxSize { get; } = maxSize;
}

/// <summary>A byte buffer of exactly <paramref name="size"/> bytes, no prefix.</summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class FixedSizeAttribute(int size) : Attribute
{
    public int Size { get; } = size;
}

/// <summary>A counted list (TPML_): the field's type is an [InlineArray(N)] struct, N being the
/// list's maximum; <paramref name="countField"/> is the earlier UINT32 field holding the count.
/// A count above N gives TPM_RC_SIZE.</summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class ListAttribute(string countField) : Attribute
{
    public string CountField { get; } = countField;
}

/// <summary>A value check run right after the field is read: <c>TpmCheck.{Method}(value, AllowNull)</c>
/// returns TPM_RC_SUCCESS or the code Part 2 gives for the type (TPM_RC_HASH for a TPMI_ALG_HASH, ...).
/// <see cref="AllowNull"/> is the spec's "+" (TPM_ALG_NULL or TPM_RH_NULL accepted).</summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class CheckAttribute(string method) : Attribute
{
    public string Method { get; } = method;
    public bool AllowNull { get; set; }
}

/// <summary>Implemented by the generator for every [TpmStruct] and [TpmParameters] type.</summary>
internal interface ITpmMarshal<T> where T : struct, ITpmMarshal<T>
{
    static abstract TpmRc Read(ref TpmReader reader, out T value);
    void Write(ref TpmWriter writer);
}
