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

    /// <summary>Room for commandCode || Names || parameters, or responseCode || commandCode || parameters.</summary>
    readonly byte[] _scratch = new byte[8 + 3 * (2 + TpmLimits.MaxDigestSize) + Math.Max(TpmLimits.MaxCommandSize, TpmLimits.MaxResponseSize)];
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

    /// <summary>The command's parameter area as received (PolicyTemplate's check reads inPublic from it).</summary>
    public ReadOnlyMemory<byte> Parameters => _parameters;
    public int NameCount => _nameCount;

    public ReadOnlySpan<byte> CpHash(ICrypto crypto, TpmAlgId hashAlg)
    {
        int bank = TpmAlgorithms.HashIndex(hashAlg);
        int size = TpmAlgorithms.DigestSize(hashAlg);
        var digest = _cp.AsSpan(bank * TpmLimits.MaxDigestSize, size);
        if (!_cpDone[bank])
        {
            // One pass over a contiguous copy: one-shot hashing costs far less than a multi-part operation.
            var input = _scratch.AsSpan();
            BinaryPrimitives.WriteUInt32BigEndian(input, (uint)_code);
            int at = 4;
            for (int i = 0; i < _nameCount; i++)
            {
                _names[i].CopyTo(input[at..]);
                at += _names[i].Length;
            }
            _parameters.Span.CopyTo(input[at..]);
            at += _parameters.Length;
            crypto.Hash(hashAlg, input[..at], digest);
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
            var input = _scratch.AsSpan();
            BinaryPrimitives.WriteUInt32BigEndian(input, (uint)TpmRc.Success);
            BinaryPrimitives.WriteUInt32BigEndian(input[4..], (uint)_code);
            response.CopyTo(input[8..]);
            crypto.Hash(hashAlg, input[..(8 + response.Length)], digest);
            _rpDone[bank] = true;
        }
        return digest;
    }
}
