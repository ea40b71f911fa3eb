namespace Ftpm;

// Temporary: replaced by the dispatcher and state (same session).
public sealed partial class Tpm
{
    bool _poweredOn;
    bool _started;
    void TpmInit() { }
    void DropVolatileState() { }
    void HcrtmStart() { }
    void HcrtmData(ReadOnlySpan<byte> data) { }
    void HcrtmEnd() { }
    int ExecuteCommand(byte locality, ReadOnlySpan<byte> command, Span<byte> response)
    {
        // TPM_ST_NO_SESSIONS, size 10, TPM_RC_INITIALIZE
        ReadOnlySpan<byte> r = [0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x00];
        r.CopyTo(response);
        return r.Length;
    }
}
