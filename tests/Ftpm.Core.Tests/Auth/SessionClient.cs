using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ftpm.Tests.Auth;

/// <summary>
/// The caller's side of HMAC and policy sessions, written from Part 1 (19.6, 21) independently of the
/// engine: StartAuthSession, command HMACs, response HMAC checks and parameter encryption.
/// </summary>
internal sealed class SessionClient
{
    public uint Handle;
    public TpmAlgId AuthHash = TpmAlgId.Sha256;
    public TpmAlgId Sym = TpmAlgId.Null;
    public ushort SymBits;
    public byte[] SessionKey = [];
    public byte[] NonceTpm = [];
    public byte[] NonceCaller = [];
    /// <summary>The authValue of the entity the session is bound to (left out of the HMAC key for it).</summary>
    public uint? BoundTo;

    public static HashAlgorithmName Name(TpmAlgId alg) => alg switch
    {
        TpmAlgId.Sha1 => HashAlgorithmName.SHA1,
        TpmAlgId.Sha256 => HashAlgorithmName.SHA256,
        TpmAlgId.Sha384 => HashAlgorithmName.SHA384,
        TpmAlgId.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentException(alg.ToString()),
    };

    public static int DigestSize(TpmAlgId alg) => alg switch
    {
        TpmAlgId.Sha1 => 20, TpmAlgId.Sha256 => 32, TpmAlgId.Sha384 => 48, TpmAlgId.Sha512 => 64, _ => 0,
    };

    public static byte[] Hash(TpmAlgId alg, byte[] data) => CryptographicOperations.HashData(Name(alg), data);
    public static byte[] Hmac(TpmAlgId alg, byte[] key, byte[] data) => CryptographicOperations.HmacData(Name(alg), key, data);

    /// <summary>KDFa (Part 1, 11.4.10.2).</summary>
    public static byte[] KdfA(TpmAlgId alg, byte[] key, string label, byte[] u, byte[] v, int bits)
    {
        var result = new List<byte>();
        int bytes = (bits + 7) / 8;
        for (uint i = 1; result.Count < bytes; i++)
        {
            var data = Cmd.Cat(Cmd.U32(i), System.Text.Encoding.ASCII.GetBytes(label), [0], u, v, Cmd.U32((uint)bits));
            result.AddRange(Hmac(alg, key, data));
        }
        return result.Take(bytes).ToArray();
    }

    public static byte[] Trim(byte[] auth)
    {
        int n = auth.Length;
        while (n > 0 && auth[n - 1] == 0) n--;
        return auth[..n];
    }

    /// <summary>TPM2_StartAuthSession, unsalted, bound to <paramref name="bind"/> (TPM_RH_NULL: unbound).</summary>
    public static SessionClient Start(TpmTestHost host, TpmSe type = TpmSe.Hmac, TpmAlgId hash = TpmAlgId.Sha256,
        uint bind = 0x40000007, byte[]? bindAuth = null, TpmAlgId sym = TpmAlgId.Null, ushort symBits = 0, int nonceSize = 0)
    {
        var c = new SessionClient { AuthHash = hash, Sym = sym, SymBits = symBits };
        var nonceCaller = RandomNumberGenerator.GetBytes(nonceSize == 0 ? DigestSize(hash) : nonceSize);
        var r = host.Run(TpmCc.StartAuthSession, StartParameters(nonceCaller, type, hash, sym, symBits), [0x40000007, bind]);
        Assert.Equal(TpmRc.Success, r.Rc);
        c.Handle = BinaryPrimitives.ReadUInt32BigEndian(r.Body);
        int size = BinaryPrimitives.ReadUInt16BigEndian(r.Body.AsSpan(4));
        c.NonceTpm = r.Body.AsSpan(6, size).ToArray();
        Assert.Equal(nonceCaller.Length, c.NonceTpm.Length);
        if (bind != 0x40000007)
        {
            c.SessionKey = KdfA(hash, Trim(bindAuth ?? []), "ATH", c.NonceTpm, nonceCaller, DigestSize(hash) * 8);
            if (type == TpmSe.Hmac) c.BoundTo = bind;
        }
        return c;
    }

    public static byte[] StartParameters(byte[] nonceCaller, TpmSe type, TpmAlgId hash, TpmAlgId sym = TpmAlgId.Null,
        ushort symBits = 0, byte[]? salt = null)
    {
        byte[] symDef = sym switch
        {
            TpmAlgId.Null => Cmd.U16((ushort)TpmAlgId.Null),
            TpmAlgId.Xor => Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Xor), Cmd.U16(symBits)),
            _ => Cmd.Cat(Cmd.U16((ushort)sym), Cmd.U16(symBits), Cmd.U16((ushort)TpmAlgId.Cfb)),
        };
        return Cmd.Cat(Cmd.Sized(nonceCaller), Cmd.Sized(salt ?? []), [(byte)type], symDef, Cmd.U16((ushort)hash));
    }

    /// <summary>The Name of a handle that is named by its value (PCRs, permanent handles, sessions).</summary>
    public static byte[] HandleName(uint handle) => Cmd.U32(handle);

    public static byte[] CpHash(TpmAlgId alg, TpmCc code, byte[][] names, byte[] parameters) =>
        Hash(alg, Cmd.Cat(Cmd.U32((uint)code), Cmd.Cat(names), parameters));

    /// <summary>One TPMS_AUTH_COMMAND for this session. <paramref name="authValue"/> is the entity's (null:
    /// the session authorizes nothing); the HMAC is computed over cpHash.</summary>
    public byte[] AuthCommand(byte[] cpHash, byte attributes, uint? entity = null, byte[]? authValue = null,
        byte[]? extraNonces = null, byte[]? nonceCaller = null)
    {
        NonceCaller = nonceCaller ?? RandomNumberGenerator.GetBytes(NonceTpm.Length);
        var key = Cmd.Cat(SessionKey, IncludesAuth(entity) ? Trim(authValue ?? []) : []);
        byte[] hmac = key.Length == 0 ? [] :
            Hmac(AuthHash, key, Cmd.Cat(cpHash, NonceCaller, NonceTpm, extraNonces ?? [], [attributes]));
        return Cmd.Cat(Cmd.U32(Handle), Cmd.Sized(NonceCaller), [attributes], Cmd.Sized(hmac));
    }

    bool IncludesAuth(uint? entity) => entity is not null && entity != BoundTo;

    /// <summary>Checks the session's TPMS_AUTH_RESPONSE at <paramref name="at"/> of the response, rolls the
    /// nonce, and returns the offset after it.</summary>
    public int CheckResponse(byte[] response, int at, TpmCc code, byte[] responseParameters, uint? entity = null, byte[]? authValue = null)
    {
        int size = BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(at));
        var nonceTpm = response.AsSpan(at + 2, size).ToArray();
        byte attributes = response[at + 2 + size];
        int hmacSize = BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(at + 3 + size));
        var hmac = response.AsSpan(at + 5 + size, hmacSize).ToArray();
        var key = Cmd.Cat(SessionKey, IncludesAuth(entity) ? Trim(authValue ?? []) : []);
        var rpHash = Hash(AuthHash, Cmd.Cat(Cmd.U32(0), Cmd.U32((uint)code), responseParameters));
        byte[] expected = key.Length == 0 ? [] : Hmac(AuthHash, key, Cmd.Cat(rpHash, nonceTpm, NonceCaller, [attributes]));
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(hmac));
        Assert.NotEqual(Convert.ToHexString(NonceTpm), Convert.ToHexString(nonceTpm));
        NonceTpm = nonceTpm;
        return at + 5 + size + hmacSize;
    }

    /// <summary>Encrypts (command) or decrypts (response) a parameter's bytes with this session
    /// (Part 1, 21): XOR or AES-CFB, key from sessionKey || authValue.</summary>
    public byte[] Crypt(byte[] data, bool command, byte[]? authValue = null)
    {
        var key = Cmd.Cat(SessionKey, Trim(authValue ?? []));
        byte[] newer = command ? NonceCaller : NonceTpm, older = command ? NonceTpm : NonceCaller;
        if (Sym == TpmAlgId.Xor)
        {
            var mask = KdfA(AuthHash, key, "XOR", newer, older, data.Length * 8);
            return data.Select((b, i) => (byte)(b ^ mask[i])).ToArray();
        }
        var material = KdfA(AuthHash, key, "CFB", newer, older, SymBits + 128);
        return Cfb(material[..(SymBits / 8)], material[(SymBits / 8)..], data, encrypt: command);
    }

    /// <summary>CFB-128 block by block (SP 800-38A 6.3), any length.</summary>
    public static byte[] Cfb(byte[] key, byte[] iv, byte[] data, bool encrypt)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        var feedback = (byte[])iv.Clone();
        var output = new byte[data.Length];
        for (int at = 0; at < data.Length; at += 16)
        {
            var stream = aes.EncryptEcb(feedback, PaddingMode.None);
            int n = Math.Min(16, data.Length - at);
            for (int i = 0; i < n; i++) output[at + i] = (byte)(data[at + i] ^ stream[i]);
            feedback = (encrypt ? output : data).AsSpan(at, n).ToArray();
            if (n < 16) break;
        }
        return output;
    }
}
