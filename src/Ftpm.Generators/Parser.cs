using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ftpm.Generators;

/// <summary>Turns one attributed type into a <see cref="TypeModel"/> and its diagnostics. Everything
/// about symbols happens here; the emitter only reads the model.</summary>
internal sealed class Parser
{
    const string Ns = "Ftpm.Marshal.";
    public const string TpmStructAttribute = Ns + "TpmStructAttribute";
    public const string TpmParametersAttribute = Ns + "TpmParametersAttribute";
    public const string TpmUnionAttribute = Ns + "TpmUnionAttribute";
    internal const string ArmAttribute = Ns + "ArmAttribute";
    internal const string EmptyArmAttribute = Ns + "EmptyArmAttribute";
    internal const string SelectorAttribute = Ns + "SelectorAttribute";
    internal const string SizedAttribute = Ns + "SizedAttribute";
    internal const string Sized8Attribute = Ns + "Sized8Attribute";
    internal const string FixedSizeAttribute = Ns + "FixedSizeAttribute";
    internal const string ListAttribute = Ns + "ListAttribute";
    internal const string CheckAttribute = Ns + "CheckAttribute";
    internal const string TpmCheckType = Ns + "TpmCheck";
    internal const string InlineArrayAttribute = "System.Runtime.CompilerServices.InlineArrayAttribute";

    static readonly SymbolDisplayFormat Qualified = SymbolDisplayFormat.FullyQualifiedFormat;

    readonly GeneratorAttributeSyntaxContext _context;
    readonly CancellationToken _cancellation;
    readonly List<DiagnosticInfo> _diagnostics = [];

    Parser(GeneratorAttributeSyntaxContext context, CancellationToken cancellation)
    {
        _context = context;
        _cancellation = cancellation;
    }

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, MarshalKind kind, CancellationToken cancellation)
    {
        var parser = new Parser(context, cancellation);
        var model = parser.ParseType((INamedTypeSymbol)context.TargetSymbol, kind);
        var diagnostics = parser._diagnostics.ToEquatableArray();
        // A type with errors gets no code: half-generated members would only add compiler errors.
        return new ParseResult(diagnostics.Count == 0 ? model : null, diagnostics);
    }

    TypeModel? ParseType(INamedTypeSymbol type, MarshalKind kind)
    {
        string attributeName = kind switch
        {
            MarshalKind.Struct => "TpmStruct",
            MarshalKind.Parameters => "TpmParameters",
            _ => "TpmUnion",
        };

        if (!IsPartial(type))
        {
            Report(Diagnostics.NotPartial, type, type.Name, attributeName);
            return null;
        }
        for (var t = type; t is not null; t = t.ContainingType)
        {
            if (t.IsGenericType)
            {
                Report(Diagnostics.GenericType, type, t.Name, attributeName);
                return null;
            }
        }

        var containing = new List<string>();
        for (var t = type.ContainingType; t is not null; t = t.ContainingType)
            containing.Insert(0, "partial " + TypeKeyword(t) + " " + t.Name);

        var attribute = _context.Attributes[0];
        string specName = kind == MarshalKind.Parameters ? type.Name : attribute.ConstructorArguments[0].Value as string ?? type.Name;
        string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();

        var fields = EquatableArray<FieldModel>.Empty;
        var arms = EquatableArray<ArmModel>.Empty;
        string? selectorType = null;
        if (kind == MarshalKind.Union)
        {
            var selector = attribute.ConstructorArguments.Length > 1 ? attribute.ConstructorArguments[1].Value as ITypeSymbol : null;
            if (selector is null) return null;  // typeof(...) did not bind: the compiler reports that
            selectorType = selector.ToDisplayString(Qualified);
            arms = ParseArms(type, selector);
        }
        else
        {
            fields = ParseFields(type);
            if (kind == MarshalKind.Parameters && fields.Count > 15)
                Report(Diagnostics.TooManyParameters, type, type.Name, fields.Count.ToString());
        }

        return new TypeModel(kind, ns, new EquatableArray<string>(containing.ToArray()), type.Name,
            type.ToDisplayString(Qualified), specName, fields, selectorType, arms);
    }

    bool IsPartial(INamedTypeSymbol type)
    {
        if (_context.TargetNode is not TypeDeclarationSyntax declaration || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            return false;
        for (var t = type.ContainingType; t is not null; t = t.ContainingType)
        {
            bool partial = t.DeclaringSyntaxReferences.Any(r =>
                r.GetSyntax(_cancellation) is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial) return false;
        }
        return true;
    }

    static string TypeKeyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    /// <summary>The public instance fields, in declaration order, which is wire order.</summary>
    static IEnumerable<IFieldSymbol> MarshaledFields(INamedTypeSymbol type) =>
        type.GetMembers().OfType<IFieldSymbol>().Where(f =>
            !f.IsStatic && !f.IsConst && !f.IsImplicitlyDeclared && f.DeclaredAccessibility == Accessibility.Public);

    // ---- Structures ----------------------------------------------------------------------------

    EquatableArray<FieldModel> ParseFields(INamedTypeSymbol type)
    {
        var result = new List<FieldModel>();
        var earlier = new Dictionary<string, IFieldSymbol>(StringComparer.Ordinal);
        foreach (var field in MarshaledFields(type))
        {
            _cancellation.ThrowIfCancellationRequested();
            var attributes = FieldAttributes.Read(field);
            if (attributes.Arms.Count > 0)
                Report(Diagnostics.AttributeNotApplicable, field, field.Name, "Arm", field.Type.ToDisplayString());

            var shape = ParseShape(field, field.Type, attributes, earlier, armFixedSize: 0, inUnion: false);
            CheckModel? check = null;
            if (shape is ListShape && attributes.Check is not null)
                Report(Diagnostics.AttributeNotApplicable, field, field.Name, "Check", field.Type.ToDisplayString() + " (put [Check] on the element field)");
            else
                check = ValidateCheck(field, attributes.Check);

            earlier[field.Name] = field;
            if (shape is not null) result.Add(new FieldModel(field.Name, result.Count + 1, shape, check));
        }
        return result.ToEquatableArray();
    }

    /// <summary>How a value of <paramref name="type"/> with these attributes is marshaled; null after reporting why not.</summary>
    /// <param name="field">The field the attributes came from and diagnostics point at.</param>
    /// <param name="earlier">Fields declared before this one (for [Selector] and [List]); empty inside unions.</param>
    /// <param name="armFixedSize">A union arm's FixedSize, or 0.</param>
    Shape? ParseShape(IFieldSymbol field, ITypeSymbol type, FieldAttributes attributes,
        IReadOnlyDictionary<string, IFieldSymbol> earlier, int armFixedSize, bool inUnion)
    {
        if (attributes.List is not null) return ParseList(field, type, attributes, earlier, inUnion);

        string typeName = type.ToDisplayString();
        if (TryPrimitive(type, out var primitive))
        {
            NotApplicable(field, typeName, attributes.Sized is not null, "Sized");
            NotApplicable(field, typeName, attributes.Sized8 is not null, "Sized8");
            NotApplicable(field, typeName, attributes.FixedSize is not null || armFixedSize > 0, "FixedSize");
            NotApplicable(field, typeName, attributes.Selector is not null, "Selector");
            return primitive;
        }

        if (IsByteMemory(type))
        {
            NotApplicable(field, typeName, attributes.Selector is not null, "Selector");
            int prefixes = (attributes.Sized is null ? 0 : 1) + (attributes.Sized8 is null ? 0 : 1) + (attributes.FixedSize is null ? 0 : 1);
            if (prefixes > 1)
            {
                Report(Diagnostics.AttributeNotApplicable, field, field.Name, "Sized/Sized8/FixedSize (more than one)", typeName);
                return null;
            }
            if (armFixedSize > 0) return new BufferShape(BufferPrefix.Fixed, armFixedSize);
            if (attributes.Sized is int max) return new BufferShape(BufferPrefix.Size16, max, attributes.Holds);
            if (attributes.Sized8 is int max8) return new BufferShape(BufferPrefix.Size8, max8);
            if (attributes.FixedSize is int size) return new BufferShape(BufferPrefix.Fixed, size);
            Report(Diagnostics.MissingBufferSize, field, field.Name);
            return null;
        }

        if (HasAttribute(type, TpmUnionAttribute))
        {
            if (inUnion)
            {
                Report(Diagnostics.NestedUnion, field, field.Name, typeName);
                return null;
            }
            NotApplicable(field, typeName, attributes.Sized is not null, "Sized");
            NotApplicable(field, typeName, attributes.Sized8 is not null, "Sized8");
            NotApplicable(field, typeName, attributes.FixedSize is not null, "FixedSize");
            if (attributes.Selector is null)
            {
                Report(Diagnostics.MissingSelector, field, field.Name, typeName);
                return null;
            }
            if (!earlier.ContainsKey(attributes.Selector))
            {
                Report(Diagnostics.SelectorNotFound, field, field.Name, attributes.Selector);
                return null;
            }
            var union = type.GetAttributes().First(a => a.AttributeClass?.ToDisplayString() == TpmUnionAttribute);
            if (union.ConstructorArguments.Length < 2 || union.ConstructorArguments[1].Value is not ITypeSymbol selectorType)
                return null;
            return new UnionShape(type.ToDisplayString(Qualified), selectorType.ToDisplayString(Qualified), attributes.Selector);
        }

        if (HasAttribute(type, TpmStructAttribute) || HasAttribute(type, TpmParametersAttribute))
        {
            NotApplicable(field, typeName, attributes.Sized8 is not null, "Sized8");
            NotApplicable(field, typeName, attributes.FixedSize is not null || armFixedSize > 0, "FixedSize");
            NotApplicable(field, typeName, attributes.Selector is not null, "Selector");
            NotApplicable(field, typeName, attributes.Sized is > 0, "Sized(maxSize) (a sized structure takes no maximum)");
            return new StructShape(type.ToDisplayString(Qualified), Sized: attributes.Sized is not null);
        }

        Report(Diagnostics.UnsupportedFieldType, field, field.Name, typeName);
        return null;
    }

    Shape? ParseList(IFieldSymbol field, ITypeSymbol type, FieldAttributes attributes,
        IReadOnlyDictionary<string, IFieldSymbol> earlier, bool inUnion)
    {
        string typeName = type.ToDisplayString();
        NotApplicable(field, typeName, attributes.Sized is not null, "Sized");
        NotApplicable(field, typeName, attributes.Sized8 is not null, "Sized8");
        NotApplicable(field, typeName, attributes.FixedSize is not null, "FixedSize");
        NotApplicable(field, typeName, attributes.Selector is not null, "Selector");
        NotApplicable(field, typeName, inUnion, "List");

        var inlineArray = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == InlineArrayAttribute);
        var elements = type.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst).ToList();
        if (type.TypeKind != TypeKind.Struct || inlineArray is null || inlineArray.ConstructorArguments.Length != 1
            || inlineArray.ConstructorArguments[0].Value is not int capacity || elements.Count != 1)
        {
            Report(Diagnostics.ListNotInlineArray, field, field.Name, typeName);
            return null;
        }

        string countField = attributes.List!;
        if (!earlier.TryGetValue(countField, out var count)
            || count.Type.SpecialType is not (SpecialType.System_Byte or SpecialType.System_UInt16 or SpecialType.System_UInt32))
        {
            Report(Diagnostics.CountNotFound, field, field.Name, countField);
            return null;
        }

        // The element's own attributes ([Sized], [Check], ...) sit on the inline array's field;
        // diagnostics about them still point at the [List] field, which is what the user wrote.
        var element = elements[0];
        var elementAttributes = FieldAttributes.Read(element);
        if (elementAttributes.List is not null || HasAttribute(element.Type, TpmUnionAttribute))
        {
            Report(Diagnostics.UnsupportedFieldType, field, field.Name, typeName + " (an element cannot be a list or a union)");
            return null;
        }
        var elementShape = ParseShape(field, element.Type, elementAttributes, earlier, armFixedSize: 0, inUnion: false);
        if (elementShape is null) return null;
        return new ListShape(countField, capacity, elementShape, ValidateCheck(field, elementAttributes.Check));
    }

    CheckModel? ValidateCheck(IFieldSymbol field, CheckModel? check)
    {
        if (check is null) return null;
        var checks = _context.SemanticModel.Compilation.GetTypeByMetadataName(TpmCheckType);
        if (checks is not null && !checks.GetMembers(check.Method).OfType<IMethodSymbol>().Any())
        {
            Report(Diagnostics.UnknownCheck, field, field.Name, check.Method);
            return null;
        }
        return check;
    }

    static bool TryPrimitive(ITypeSymbol type, out PrimitiveShape shape)
    {
        var underlying = type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } u } ? u : type;
        int bits = underlying.SpecialType switch
        {
            SpecialType.System_Byte => 8,
            SpecialType.System_UInt16 => 16,
            SpecialType.System_UInt32 => 32,
            SpecialType.System_UInt64 => 64,
            _ => 0,
        };
        bool isEnum = type.TypeKind == TypeKind.Enum;
        shape = new PrimitiveShape(type.ToDisplayString(Qualified), bits, isEnum);
        return bits != 0;
    }

    static bool IsByteMemory(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "ReadOnlyMemory", TypeArguments.Length: 1 } named
        && named.TypeArguments[0].SpecialType == SpecialType.System_Byte
        && named.ContainingNamespace.ToDisplayString() == "System";

    static bool HasAttribute(ITypeSymbol type, string metadataName) =>
        type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == metadataName);

    // ---- Unions --------------------------------------------------------------------------------

    EquatableArray<ArmModel> ParseArms(INamedTypeSymbol type, ITypeSymbol selectorType)
    {
        var arms = new List<ArmModel>();
        var seen = new HashSet<ulong>();

        foreach (var empty in type.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == EmptyArmAttribute))
        {
            var label = Label(type, selectorType, empty.ConstructorArguments[0], seen, LocationOf(empty) ?? LocationInfo.From(type));
            if (label is not null) arms.Add(new ArmModel(new EquatableArray<string>([label]), null, null));
        }

        var none = new Dictionary<string, IFieldSymbol>();
        foreach (var field in MarshaledFields(type))
        {
            _cancellation.ThrowIfCancellationRequested();
            var attributes = FieldAttributes.Read(field);
            if (attributes.Arms.Count == 0)
            {
                Report(Diagnostics.ArmMissing, field, field.Name, type.Name);
                continue;
            }
            NotApplicable(field, field.Type.ToDisplayString(), attributes.Check is not null, "Check");

            // One switch section per distinct FixedSize, labels in declaration order (TPMU_HA: one per hash).
            foreach (var group in attributes.Arms.GroupBy(a => a.FixedSize))
            {
                var labels = new List<string>();
                foreach (var arm in group)
                {
                    var label = Label(type, selectorType, arm.Selector, seen, arm.Location ?? LocationInfo.From(field));
                    if (label is not null) labels.Add(label);
                }
                var shape = ParseShape(field, field.Type, attributes, none, group.Key, inUnion: true);
                if (shape is not null && labels.Count > 0)
                    arms.Add(new ArmModel(labels.ToEquatableArray(), field.Name, shape));
            }
        }
        return arms.ToEquatableArray();
    }

    /// <summary>A case label for a selector constant: the enum member's name when there is one, else a cast.</summary>
    string? Label(INamedTypeSymbol union, ITypeSymbol selectorType, TypedConstant selector, HashSet<ulong> seen, LocationInfo? location)
    {
        string selectorName = selectorType.ToDisplayString(Qualified);
        ulong? value = selector.Kind is TypedConstantKind.Enum or TypedConstantKind.Primitive ? ToUInt64(selector.Value) : null;
        if (value is not ulong v)
        {
            _diagnostics.Add(new DiagnosticInfo(Diagnostics.BadSelectorValue, location,
                new EquatableArray<string>([selector.ToCSharpString(), union.Name, selectorName])));
            return null;
        }
        if (!seen.Add(v))
        {
            _diagnostics.Add(new DiagnosticInfo(Diagnostics.DuplicateArm, location,
                new EquatableArray<string>([selector.ToCSharpString(), union.Name])));
            return null;
        }

        if (selectorType.TypeKind == TypeKind.Enum)
        {
            var member = selectorType.GetMembers().OfType<IFieldSymbol>()
                .FirstOrDefault(f => f.HasConstantValue && ToUInt64(f.ConstantValue) == v);
            if (member is not null) return selectorName + "." + member.Name;
        }
        return "(" + selectorName + ")0x" + v.ToString("X4");
    }

    static ulong? ToUInt64(object? value) => value switch
    {
        byte b => b,
        ushort s => s,
        uint u => u,
        ulong l => l,
        sbyte sb when sb >= 0 => (ulong)sb,
        short sh when sh >= 0 => (ulong)sh,
        int i when i >= 0 => (ulong)i,
        long l when l >= 0 => (ulong)l,
        _ => null,
    };

    // ---- Diagnostics ---------------------------------------------------------------------------

    static LocationInfo? LocationOf(AttributeData attribute) =>
        LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation());

    void NotApplicable(IFieldSymbol field, string typeName, bool present, string attribute)
    {
        if (present) Report(Diagnostics.AttributeNotApplicable, field, field.Name, attribute, typeName);
    }

    void Report(DiagnosticDescriptor descriptor, ISymbol symbol, params string[] arguments) =>
        _diagnostics.Add(new DiagnosticInfo(descriptor, LocationInfo.From(symbol), new EquatableArray<string>(arguments)));
}

/// <summary>The marshaling attributes on one field, read once.</summary>
internal sealed class FieldAttributes
{
    public int? Sized;
    public string? Holds;
    public int? Sized8;
    public int? FixedSize;
    public string? Selector;
    public string? List;
    public CheckModel? Check;
    public List<(TypedConstant Selector, int FixedSize, LocationInfo? Location)> Arms = [];

    public static FieldAttributes Read(IFieldSymbol field)
    {
        var result = new FieldAttributes();
        foreach (var attribute in field.GetAttributes())
        {
            var args = attribute.ConstructorArguments;
            switch (attribute.AttributeClass?.ToDisplayString())
            {
                case Parser.SizedAttribute:
                    result.Sized = args.Length > 0 && args[0].Value is int max ? max : 0;
                    foreach (var pair in attribute.NamedArguments)
                        if (pair.Key == "Holds" && pair.Value.Value is ITypeSymbol held) result.Holds = held.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                    break;
                case Parser.Sized8Attribute:
                    result.Sized8 = args.Length > 0 && args[0].Value is int max8 ? max8 : 0;
                    break;
                case Parser.FixedSizeAttribute:
                    result.FixedSize = args.Length > 0 && args[0].Value is int size ? size : 0;
                    break;
                case Parser.SelectorAttribute:
                    result.Selector = args.Length > 0 ? args[0].Value as string : null;
                    break;
                case Parser.ListAttribute:
                    result.List = args.Length > 0 ? args[0].Value as string ?? "" : "";
                    break;
                case Parser.CheckAttribute:
                    result.Check = new CheckModel(args.Length > 0 ? args[0].Value as string ?? "" : "", Named<bool>(attribute, "AllowNull"));
                    break;
                case Parser.ArmAttribute:
                    if (args.Length > 0)
                    {
                        var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation());
                        result.Arms.Add((args[0], Named<int>(attribute, "FixedSize"), location));
                    }
                    break;
            }
        }
        return result;
    }

    static T Named<T>(AttributeData attribute, string name) where T : struct
    {
        foreach (var pair in attribute.NamedArguments)
        {
            if (pair.Key == name && pair.Value.Value is T value) return value;
        }
        return default;
    }
}
