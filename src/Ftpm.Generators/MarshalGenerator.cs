using Microsoft.CodeAnalysis;

namespace Ftpm.Generators;

/// <summary>Writes Read/Write for [TpmStruct], [TpmUnion] and [TpmParameters] types.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class MarshalGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
