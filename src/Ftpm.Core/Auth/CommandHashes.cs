using System.Buffers.Binary;
using Ftpm.Ports;

namespace Ftpm.Auth;

/// <summary>
/// cpHash and rpHash of the running command, computed at most once per hash algorithm
/// (Part 1, 18.7 and 18.8):
/// cpHash = H(commandCode || Name1 || Name2 || Name3 || parameters), over the parameters as
/// received (before any decryption); rpHash = H(responseCode || commandCode || parameters), over the
/// response parameters as sent (after any encryption).
/// </summary>
internal sealed class CommandHashes
{
    readonly byte[] _cp = new byte[TpmLimits.HashCount * TpmLimits.MaxDigestSize];
    readonly byte[] _rp = new byte[TpmLimits.HashCount * TpmLimits.MaxDigestSize];
    readonly bool[] _cpDone = new bool[TpmLimits.HashCount];
    readonly bool[] _rpDone = new bool[TpmLimits.HashCount];
    readonly byte[][] _names = new byte[3][];
    int _nameCount;
    TpmCc _code;
    ReadOnlyMemory<byte> _parameters;

    /// <summary>Starts a command: its code, the Names of its handles and its parameter area.</summary>
    public void Begin(TpmCc code, ReadOnlySpan<byte[]> names, ReadOnlyMemory<byte> parameters)
    {
        _code = code;
        _nameCount = names.Length;
        for (int i = 0; i < names.Length; i++) _names[i] = names[i];
        _parameters = parameters;
        Array.Clear(_cpDone);
        Array.Clear(_rpDone);
    }

    public ReadOnlySpan<byte> Name(int handleIndex) => _names[handleIndex];
    public int NameCount => _nameCount;

    public ReadOnlySpan<byte> CpHash(ICrypto crypto, TpmAlgId hashAlg)
    {
        int bank = TpmAlgorithms.HashIndex(hashAlg);
        int size = TpmAlgorithms.DigestSize(hashAlg);
        var digest = _cp.AsSpan(bank * TpmLimits.MaxDigestSize, size);
        if (!_cpDone[bank])
        {
            using var h = crypto.HashSetup(hashAlg);
            Span<byte> cc = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(cc, (uint)_code);
            h.Update(cc);
            for (int i = 0; i < _nameCount; i++) h.Update(_names[i]);
            h.Update(_parameters.Span);
            h.Finish(digest);
            _cpDone[bank] = true;
        }
        return digest;
    }

    /// <summary>rpHash over <paramref name="response"/>, the response parameters as sent (the same
    /// span on every call of one command).</summary>
    public ReadOnlySpan<byte> RpHash(ICrypto crypto, TpmAlgId hashAlg, ReadOnlySpan<byte> response)
    {
        int bank = TpmAlgorithms.HashIndex(hashAlg);
        int size = TpmAlgorithms.DigestSize(hashAlg);
        var digest = _rp.AsSpan(bank * TpmLimits.MaxDigestSize, size);
        if (!_rpDone[bank])
        {
            using var h = crypto.HashSetup(hashAlg);
            Span<byte> header = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)TpmRc.Success);
            BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)_code);
            h.Update(header);
            h.Update(response);
            h.Finish(digest);
            _rpDone[bank] = true;
        }
        return digest;
    }
}
