using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Ftpm.Generators;

/// <summary>The generator's diagnostics. Ids are stable: add new ones at the end, never renumber.</summary>
internal static class Diagnostics
{
    const string Category = "Ftpm.Marshal";

    static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotPartial = Error("FTPM001",
        "Marshaled type must be partial",
        "'{0}' is marked [{1}] and must be declared partial, as must every type containing it");

    public static readonly DiagnosticDescriptor UnsupportedFieldType = Error("FTPM002",
        "Field type cannot be marshaled",
        "Field '{0}' has type '{1}', which cannot be marshaled: use byte, ushort, uint, ulong, an enum over one of them, ReadOnlyMemory<byte>, a [TpmStruct], a [TpmUnion] with [Selector], or an [InlineArray] with [List]");

    public static readonly DiagnosticDescriptor MissingBufferSize = Error("FTPM003",
        "Byte buffer needs a size",
        "ReadOnlyMemory<byte> field '{0}' needs [Sized(max)], [Sized8(max)] or [FixedSize(n)] (or FixedSize on each [Arm] in a union)");

    public static readonly DiagnosticDescriptor MissingSelector = Error("FTPM004",
        "Union field needs a selector",
        "Field '{0}' has union type '{1}' and needs [Selector(nameof(EarlierField))]");

    public static readonly DiagnosticDescriptor SelectorNotFound = Error("FTPM005",
        "Selector field not found",
        "The selector '{1}' of field '{0}' is not a marshaled field declared before it");

    public static readonly DiagnosticDescriptor ListNotInlineArray = Error("FTPM006",
        "List field must be an inline array",
        "[List] field '{0}' has type '{1}', which is not an [InlineArray(N)] struct with one instance field");

    public static readonly DiagnosticDescriptor CountNotFound = Error("FTPM007",
        "List count field not found",
        "The count '{1}' of [List] field '{0}' is not a byte, ushort or uint field declared before it");

    public static readonly DiagnosticDescriptor AttributeNotApplicable = Error("FTPM008",
        "Attribute does not apply to this field",
        "[{1}] does not apply to field '{0}' of type '{2}'");

    public static readonly DiagnosticDescriptor DuplicateArm = Error("FTPM009",
        "Selector value chooses more than one arm",
        "Selector value {0} appears in more than one arm of union '{1}'");

    public static readonly DiagnosticDescriptor NestedUnion = Error("FTPM010",
        "Union arm cannot be a union",
        "Arm field '{0}' has union type '{1}': a union arm must be a structure, a primitive or a byte buffer");

    public static readonly DiagnosticDescriptor ArmMissing = Error("FTPM011",
        "Union field has no arm",
        "Field '{0}' of union '{1}' has no [Arm(selector)]");

    public static readonly DiagnosticDescriptor BadSelectorValue = Error("FTPM012",
        "Arm selector is not a constant of the selector type",
        "Selector value '{0}' in union '{1}' is not an integer constant or a member of '{2}'");

    public static readonly DiagnosticDescriptor UnknownCheck = Error("FTPM013",
        "Unknown value check",
        "Field '{0}': TpmCheck has no method '{1}'");

    public static readonly DiagnosticDescriptor TooManyParameters = Error("FTPM014",
        "Too many parameters",
        "[TpmParameters] '{0}' has {1} fields; response codes can number at most 15 parameters");

    public static readonly DiagnosticDescriptor GenericType = Error("FTPM015",
        "Marshaled type cannot be generic",
        "'{0}' is marked [{1}] and cannot be generic");
}

/// <summary>A location kept as data (file, span, line span) so diagnostics can sit in the cached model.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location?.SourceTree is null ? null : new(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo? From(ISymbol symbol) => From(symbol.Locations.FirstOrDefault());
}

/// <summary>A diagnostic as data: its descriptor, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, Location?.ToLocation(), Arguments.ToArray<object>());
}

/// <summary>What the parser found for one type: the model (null if the type has errors) and its diagnostics.</summary>
internal sealed record ParseResult(TypeModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
