using System.Buffers.Binary;
using System.Security.Cryptography;
using static Ftpm.Tests.Commands.KeyMoveTestHost;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_Encapsulate and TPM2_Decapsulate with an ECC key whose kdf is HKDF (Part 1 v185, 44.4: DHKEM of
/// RFC 9180), in-process: the RFC's own test vector (A.3.1, DHKEM(P-256, HKDF-SHA256)) through LoadExternal, the
/// TPM's encapsulation opened here with .NET's ECDH and HKDF, and the response codes.</summary>
public sealed class DhKemTests
{
    readonly KeyMoveTestHost _t = new();

    // RFC 9180, A.3.1 (DHKEM(P-256, HKDF-SHA256), mode base): skRm, pkRm, enc and shared_secret.
    const string SkRm = "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2";
    const string PkRm = "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0";
    const string Enc = "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4";
    const string SharedSecret = "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8";

    /// <summary>TPMT_PUBLIC of an unrestricted ECDH P-256 decryption key (userWithAuth|decrypt) with the given
    /// kdf (TPMT_KDF_SCHEME) and point.</summary>
    static byte[] Public(string kdf, byte[] point) => Cmd.Cat(H("0023 000B 00020040 0000 0010 0019 000B 0003"), H(kdf),
        Cmd.Sized(point[1..33]), Cmd.Sized(point[33..65]));

    uint LoadExternal(byte[] publicArea, byte[]? d)
    {
        var sensitive = d is null ? [] : Cmd.Cat(Cmd.U16(0x0023), Cmd.U16(0), Cmd.U16(0), Cmd.Sized(d));
        var r = _t.Run(TpmCc.LoadExternal, [], Cmd.Cat(Cmd.Sized(sensitive), Cmd.Sized(publicArea), Cmd.U32(Null)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    }

    Response Decapsulate(uint key, byte[] enc) => _t.RunWithPasswords(TpmCc.Decapsulate, [key], Cmd.Sized(enc));

    [Fact]
    public void Rfc9180_p256_vector_decapsulates()
    {
        uint key = LoadExternal(Public("001F 000B", Convert.FromHexString(PkRm)), Convert.FromHexString(SkRm));
        var r = Decapsulate(key, Convert.FromHexString(Enc));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(SharedSecret.ToUpperInvariant(), Convert.ToHexString(Sized(r.SessionParameters(), 1)[0]));
    }

    [Fact]
    public void Encapsulation_to_a_public_key_opens_with_the_private_key_outside()
    {
        using var recipient = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var q = recipient.ExportParameters(true);
        var pkR = Cmd.Cat([0x04], q.Q.X!, q.Q.Y!);
        uint key = LoadExternal(Public("001F 000B", pkR), null);
        var r = _t.Run(TpmCc.Encapsulate, [key], []);
        Assert.Equal(TpmRc.Success, r.Rc);
        var o = Sized(r.Body, 2);
        Assert.Equal(65, o[1].Length);
        Assert.Equal(0x04, o[1][0]);

        // Decap(enc, skR) of RFC 9180, 4.1, computed here.
        using var ephemeral = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = o[1][1..33], Y = o[1][33..] },
        });
        var dh = recipient.DeriveRawSecretAgreement(ephemeral.PublicKey);
        var suiteId = Cmd.Cat("KEM"u8.ToArray(), Cmd.U16(0x0010));
        var prk = HKDF.Extract(HashAlgorithmName.SHA256, Cmd.Cat("HPKE-v1"u8.ToArray(), suiteId, "eae_prk"u8.ToArray(), dh), []);
        var info = Cmd.Cat(Cmd.U16(32), "HPKE-v1"u8.ToArray(), suiteId, "shared_secret"u8.ToArray(), o[1], pkR);
        Assert.Equal(Convert.ToHexString(HKDF.Expand(HashAlgorithmName.SHA256, prk, 32, info)), Convert.ToHexString(o[0]));

        // And the TPM decapsulates what it encapsulated, with the private key loaded.
        uint full = LoadExternal(Public("001F 000B", pkR), q.D);
        Assert.Equal(o[0], Sized(Decapsulate(full, o[1]).SessionParameters(), 1)[0]);
    }

    [Fact]
    public void Response_codes_with_positions()
    {
        var pkR = Convert.FromHexString(PkRm);
        var d = Convert.FromHexString(SkRm);
        var enc = Convert.FromHexString(Enc);
        // No kdf: no KEM key (KEY + H1), for both commands. A kdf other than HKDF: KDF + H1.
        uint plain = LoadExternal(Public("0010", pkR), d);
        Assert.Equal((TpmRc)0x19C, _t.Run(TpmCc.Encapsulate, [plain], []).Rc);
        Assert.Equal((TpmRc)0x19C, Decapsulate(plain, enc).Rc);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(plain));
        uint kdf2 = LoadExternal(Public("0021 000B", pkR), d);
        Assert.Equal((TpmRc)0x18C, _t.Run(TpmCc.Encapsulate, [kdf2], []).Rc);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(kdf2));

        uint key = LoadExternal(Public("001F 000B", pkR), d);
        // enc of the wrong size: SIZE + P1; not an uncompressed point, or off the curve: ECC_POINT + P1.
        Assert.Equal((TpmRc)0x1D5, Decapsulate(key, enc[..64]).Rc);
        var compressed = (byte[])enc.Clone();
        compressed[0] = 0x02;
        Assert.Equal((TpmRc)0x1E7, Decapsulate(key, compressed).Rc);
        var off = (byte[])enc.Clone();
        off[^1] ^= 1;
        Assert.Equal((TpmRc)0x1E7, Decapsulate(key, off).Rc);
    }
}
