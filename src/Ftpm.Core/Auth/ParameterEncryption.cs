using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Ports;

namespace Ftpm.Auth;

/// <summary>
/// Session-based encryption of the first parameter (Part 1, 21 "Session-based encryption"): the first
/// TPM2B of a command (decrypt) or of a response (encrypt), its size field in clear. Keys come from
/// KDFa over sessionKey || authValue with the two nonces: nonceNewer then nonceOlder, so the caller's
/// nonce first in a command and the TPM's first in a response (21.2, 21.3).
/// </summary>
internal static class ParameterEncryption
{
    /// <summary>The AES block size: the CFB IV (Part 1, 21.3: "the IV is the size of a block").</summary>
    const int BlockSize = 16;

    /// <summary>Whether the session symmetric definition is one this TPM encrypts with: XOR with an
    /// implemented hash, or AES-128/256 (CFB, checked by StartAuthSession).</summary>
    public static bool IsSupported(TpmAlgId algorithm, ushort keyBits) => algorithm switch
    {
        TpmAlgId.Null => true,
        TpmAlgId.Xor => TpmAlgorithms.IsHash((TpmAlgId)keyBits),
        TpmAlgId.Aes => keyBits is 128 or 256,
        _ => false,
    };

    /// <summary>
    /// Decrypts the first command parameter in place. <paramref name="parameters"/> is the whole
    /// parameter area: its first two octets are the TPM2B size, which must fit in what follows.
    /// Codes (the reference's CryptParameterDecryption, numbered with the session by the caller):
    /// TPM_RC_INSUFFICIENT when the area cannot hold the size, TPM_RC_SIZE when the size runs past
    /// the area. An empty buffer that ends the area is accepted, as libtpms does (the reference
    /// answers TPM_RC_SIZE there).
    /// </summary>
    public static TpmRc DecryptCommand(ICrypto crypto, Session session, ReadOnlySpan<byte> authValue,
        ReadOnlySpan<byte> nonceCaller, Span<byte> parameters)
    {
        if (parameters.Length < 2) return TpmRc.Insufficient;
        int size = BinaryPrimitives.ReadUInt16BigEndian(parameters);
        // CVE-2023-1017/1018: the size is the caller's; never touch an octet past the parameter area.
        if (size > parameters.Length - 2) return TpmRc.Size;
        Apply(crypto, session, authValue, nonceCaller, session.NonceTpm, parameters.Slice(2, size), encrypt: false);
        return TpmRc.Success;
    }

    /// <summary>Encrypts the first response parameter in place (with the new nonceTPM). The response
    /// is the TPM's own, so a size that does not fit is a bug: it throws and the TPM enters failure mode.</summary>
    public static void EncryptResponse(ICrypto crypto, Session session, ReadOnlySpan<byte> authValue,
        ReadOnlySpan<byte> nonceCaller, Span<byte> parameters)
    {
        if (parameters.Length < 2) throw new InvalidOperationException("encrypted response parameter is not a TPM2B");
        int size = BinaryPrimitives.ReadUInt16BigEndian(parameters);
        if (size > parameters.Length - 2) throw new InvalidOperationException("encrypted response parameter overruns the response");
        Apply(crypto, session, authValue, session.NonceTpm, nonceCaller, parameters.Slice(2, size), encrypt: true);
    }

    static void Apply(ICrypto crypto, Session session, ReadOnlySpan<byte> authValue,
        ReadOnlySpan<byte> nonceNewer, ReadOnlySpan<byte> nonceOlder, Span<byte> data, bool encrypt)
    {
        if (data.IsEmpty) return;
        int keyLength = session.SessionKey.Length + authValue.Length;
        Span<byte> key = stackalloc byte[2 * TpmLimits.MaxDigestSize];
        key = key[..keyLength];
        session.SessionKey.CopyTo(key);
        authValue.CopyTo(key[session.SessionKey.Length..]);
        try
        {
            if (session.SymAlgorithm == TpmAlgId.Xor)
            {
                // Part 1, 11.4.6.3: XOR with KDFa(hash, key, "XOR", nonceNewer, nonceOlder, bits).
                byte[] mask = new byte[data.Length];
                Kdf.KdfA(crypto, session.AuthHash, key, "XOR"u8, nonceNewer, nonceOlder, mask);
                for (int i = 0; i < data.Length; i++) data[i] ^= mask[i];
                CryptographicOperations.ZeroMemory(mask);
            }
            else
            {
                // Part 1, 21.3: AES-CFB, key || iv = KDFa(hash, key, "CFB", nonceNewer, nonceOlder, keyBits + 128).
                int keyBytes = session.SymKeyBits / 8;
                Span<byte> material = stackalloc byte[32 + BlockSize];
                material = material[..(keyBytes + BlockSize)];
                Kdf.KdfA(crypto, session.AuthHash, key, "CFB"u8, nonceNewer, nonceOlder, material);
                Span<byte> iv = stackalloc byte[BlockSize];
                material[keyBytes..].CopyTo(iv);
                byte[] output = new byte[data.Length];
                crypto.Cipher(session.SymAlgorithm, TpmAlgId.Cfb, encrypt, material[..keyBytes], iv, data, output);
                output.CopyTo(data);
                CryptographicOperations.ZeroMemory(output);
                CryptographicOperations.ZeroMemory(material);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
