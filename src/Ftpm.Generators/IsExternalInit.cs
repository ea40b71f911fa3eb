// Lets records (init accessors) compile against netstandard2.0.
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit;
