using System.Linq;

namespace Ftpm.Generators;

// The parser's output: plain records that compare by value and hold no Roslyn symbols, so an
// unchanged declaration yields an equal model and the emitter does not run again for it.
// Type names are fully qualified with global::.

internal enum MarshalKind
{
    /// <summary>[TpmStruct]: failures are returned as they are.</summary>
    Struct,
    /// <summary>[TpmParameters]: a failure in the n-th field is numbered with parameter n.</summary>
    Parameters,
    /// <summary>[TpmUnion]: an arm chosen by a selector passed in by the containing structure.</summary>
    Union,
}

/// <summary>One [TpmStruct], [TpmParameters] or [TpmUnion] type to generate.</summary>
/// <param name="Namespace">Null for the global namespace.</param>
/// <param name="ContainingTypes">Declarations of the enclosing types, outermost first ("partial class Outer").</param>
/// <param name="Name">The type's name as declared (without type parameters: generic types are not supported).</param>
/// <param name="FullName">global::-qualified name.</param>
/// <param name="SpecName">The Part 2 name (TPMT_HA), or the type name for [TpmParameters].</param>
/// <param name="Fields">Structures: the marshaled fields in wire order.</param>
/// <param name="SelectorType">Unions: the global::-qualified selector type.</param>
/// <param name="Arms">Unions: the switch sections, in declaration order (empty arms first).</param>
internal sealed record TypeModel(
    MarshalKind Kind,
    string? Namespace,
    EquatableArray<string> ContainingTypes,
    string Name,
    string FullName,
    string SpecName,
    EquatableArray<FieldModel> Fields,
    string? SelectorType,
    EquatableArray<ArmModel> Arms)
{
    /// <summary>The file name of the generated source: Namespace.Outer.Type.g.cs.</summary>
    public string HintName => (Namespace is null ? "" : Namespace + ".") +
        string.Concat(ContainingTypes.Select(c => c.Substring(c.LastIndexOf(' ') + 1) + ".")) + Name + ".g.cs";
}

/// <summary>A marshaled field of a structure.</summary>
/// <param name="Position">1-based wire position (the parameter number for [TpmParameters]).</param>
internal sealed record FieldModel(string Name, int Position, Shape Shape, CheckModel? Check);

/// <summary>[Check(nameof(TpmCheck.Method), AllowNull = ...)]: run right after the value is read.</summary>
internal sealed record CheckModel(string Method, bool AllowNull);

/// <summary>One switch section of a union: the selector labels and the field they choose (null: an empty arm).</summary>
/// <param name="Labels">C# case expressions, e.g. <c>global::Ftpm.TpmAlgId.Sha256</c>.</param>
internal sealed record ArmModel(EquatableArray<string> Labels, string? FieldName, Shape? Shape);

/// <summary>How one value goes on the wire.</summary>
internal abstract record Shape;

/// <summary>byte/ushort/uint/ulong or an enum over one of them, big-endian.</summary>
/// <param name="Type">The field's type (global::-qualified for enums, a keyword otherwise).</param>
/// <param name="Bits">8, 16, 32 or 64.</param>
internal sealed record PrimitiveShape(string Type, int Bits, bool IsEnum) : Shape
{
    public string WireType => Bits switch { 8 => "byte", 16 => "ushort", 32 => "uint", _ => "ulong" };
    public string Method => Bits switch { 8 => "UInt8", 16 => "UInt16", 32 => "UInt32", _ => "UInt64" };
}

internal enum BufferPrefix
{
    /// <summary>[Sized(max)]: TPM2B, UINT16 size.</summary>
    Size16,
    /// <summary>[Sized8(max)]: one-octet size.</summary>
    Size8,
    /// <summary>[FixedSize(n)] or [Arm(..., FixedSize = n)]: exactly n octets, no size.</summary>
    Fixed,
}

/// <summary>A <c>ReadOnlyMemory&lt;byte&gt;</c> field; <paramref name="Size"/> is the maximum or the fixed length.</summary>
/// <paramref name="Holds"/>: the structure a non-empty TPM2B of this kind must hold ([Sized(Holds = ...)]).
internal sealed record BufferShape(BufferPrefix Prefix, int Size, string? Holds = null) : Shape;

/// <summary>A [TpmStruct] field; with <paramref name="Sized"/> it is wrapped in a TPM2B (UINT16 size, then the structure).</summary>
internal sealed record StructShape(string Type, bool Sized) : Shape;

/// <summary>A [TpmUnion] field whose arm is chosen by the earlier field <paramref name="SelectorField"/>.</summary>
internal sealed record UnionShape(string Type, string SelectorType, string SelectorField) : Shape;

/// <summary>A [List] field: an [InlineArray(Capacity)] of <paramref name="Element"/>, holding as many
/// entries as the earlier field <paramref name="CountField"/> says.</summary>
internal sealed record ListShape(string CountField, int Capacity, Shape Element, CheckModel? ElementCheck) : Shape;
