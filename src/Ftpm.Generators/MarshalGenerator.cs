using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ftpm.Generators;

/// <summary>Writes Read/Write for [TpmStruct], [TpmParameters] and [TpmUnion] types
/// (parse: <see cref="Parser"/>, model: Model.cs, emit: <see cref="Emitter"/>).</summary>
[Generator(LanguageNames.CSharp)]
public sealed class MarshalGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        Register(context, Parser.TpmStructAttribute, MarshalKind.Struct);
        Register(context, Parser.TpmParametersAttribute, MarshalKind.Parameters);
        Register(context, Parser.TpmUnionAttribute, MarshalKind.Union);
    }

    static void Register(IncrementalGeneratorInitializationContext context, string attribute, MarshalKind kind)
    {
        var results = context.SyntaxProvider.ForAttributeWithMetadataName(
            attribute,
            static (node, _) => node is StructDeclarationSyntax,
            (ctx, ct) => Parser.Parse(ctx, kind, ct));

        context.RegisterSourceOutput(results, static (spc, result) =>
        {
            foreach (var diagnostic in result.Diagnostics) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            if (result.Model is { } model) spc.AddSource(model.HintName, Emitter.Emit(model));
        });
    }
}
