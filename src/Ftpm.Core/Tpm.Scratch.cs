using System.Security.Cryptography;

namespace Ftpm;

// The memory a command's response structure points into (digests, random bytes, blobs made by the
// command) until the dispatcher has marshaled it: one array per TPM, handed out front to back and
// wiped after every command, so a command body allocates nothing for its output. It never holds more
// than one response's worth.
public sealed partial class Tpm
{
    readonly byte[] _scratch = new byte[TpmLimits.MaxResponseSize];
    int _scratchUsed;

    /// <summary><paramref name="length"/> bytes of this command's scratch area, zeroed. Asking for more
    /// than a response can hold is an engine bug (it throws, and the TPM enters failure mode).</summary>
    internal Memory<byte> Scratch(int length)
    {
        var memory = _scratch.AsMemory(_scratchUsed, length);
        _scratchUsed += length;
        return memory;
    }

    /// <summary>Wipes what the last command put in the scratch area (it may have held unsealed data or a
    /// decrypted message) and makes all of it free again.</summary>
    void ResetScratch()
    {
        CryptographicOperations.ZeroMemory(_scratch.AsSpan(0, _scratchUsed));
        _scratchUsed = 0;
    }
}
