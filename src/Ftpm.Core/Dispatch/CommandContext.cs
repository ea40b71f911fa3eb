using Ftpm.Marshal;

namespace Ftpm.Dispatch;

/// <summary>
/// What a handler sees of one command: its handles (already checked for kind and presence), the
/// locality, a reader over the parameter area and a writer for the response parameters.
/// </summary>
internal ref struct CommandContext
{
    public TpmCc Code;
    public byte Locality;
    public ReadOnlySpan<uint> Handles;

    /// <summary>The parameter area of the command.</summary>
    public TpmReader In;

    /// <summary>The response parameter area.</summary>
    public TpmWriter Out;

    /// <summary>The handle a command returns (CreatePrimary, Load, HashSequenceStart ...).</summary>
    public uint ResponseHandle;

    /// <summary>Reads the whole parameter area as <typeparamref name="T"/>. Unmarshal failures come back
    /// numbered by parameter (generated code); bytes left over are TPM_RC_SIZE (Part 3, 5.2: "the
    /// command is larger than the parameters it defines").</summary>
    public TpmRc ReadParameters<T>(out T parameters) where T : struct, ITpmMarshal<T>
    {
        var rc = T.Read(ref In, out parameters);
        if (rc != TpmRc.Success) return rc;
        return In.HasData ? TpmRc.Size : TpmRc.Success;
    }

    /// <summary>For commands without parameters: anything in the parameter area is TPM_RC_SIZE.</summary>
    public readonly TpmRc NoParameters() => In.HasData ? TpmRc.Size : TpmRc.Success;

    public void Write<T>(in T value) where T : struct, ITpmMarshal<T> => value.Write(ref Out);
}
