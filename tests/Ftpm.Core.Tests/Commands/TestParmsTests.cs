using Ftpm.Marshal;
using Ftpm.Tests.Marshal;
using static Ftpm.Tests.Commands.CapabilityTestHelpers;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_TestParms (Part 3, 30.3) and the TPMT_PUBLIC_PARMS family of Part 2 types.</summary>
public class TestParmsTests
{
    const string Ok = "80010000000A00000000";

    readonly Tpm _tpm = StartedTpm();

    string TestParms(string parameters) => Run(_tpm, TpmCc.TestParms, parameters);

    [Theory]
    [InlineData("0008 0005 000B")]            // KEYEDHASH, HMAC-SHA256
    [InlineData("0008 0005 0004")]            // HMAC-SHA1
    [InlineData("0008 0005 000D")]            // HMAC-SHA512
    [InlineData("0008 0010")]                 // KEYEDHASH, no scheme (sealed data)
    [InlineData("0008 000A 000B 0022")]       // XOR with SHA256 and KDF1_SP800_108
    [InlineData("0008 000A 000B 0007")]       // XOR with MGF1
    [InlineData("0001 0010 0010 0800 00000000")]          // RSA-2048, no scheme
    [InlineData("0001 0006 0080 0043 0010 0800 00000000")] // RSA-2048 storage key, AES-128-CFB
    [InlineData("0001 0010 0014 000B 0400 00000000")]     // RSA-1024 RSASSA-SHA256
    [InlineData("0001 0010 0017 000B 1000 00000000")]     // RSA-4096 OAEP-SHA256
    [InlineData("0023 0010 0018 000B 0003 0010")]         // ECC P-256 ECDSA-SHA256
    [InlineData("0023 0006 0100 0043 0010 0005 0010")]    // ECC P-521 storage key, AES-256-CFB
    [InlineData("0023 0010 001C 000B 0010 0010")]         // ECC BN P-256 ECSCHNORR-SHA256
    [InlineData("0023 0010 001A 000B 0000 0003 0010")]    // ECC P-256 ECDAA-SHA256 (count 0)
    [InlineData("0023 0010 001D 000B 0004 0010")]         // ECC P-384 ECMQV-SHA256
    [InlineData("0025 0006 0080 0043")]                   // SYMCIPHER AES-128-CFB
    [InlineData("0025 0006 00C0 0042")]                   // SYMCIPHER AES-192-CBC
    [InlineData("0025 0006 0080 003F")]                   // SYMCIPHER AES-128 CMAC (TPM2_MAC)
    [InlineData("0008 000A 000C 0010")]       // XOR, KDF NULL
    public void ImplementedKeyedHashParametersPass(string parameters) =>
        Assert.Equal(Ok, TestParms(parameters));

    [Theory]
    [InlineData("0001 0010 0010 0300 00000000", 0x1C4)]    // RSA-768: TPM_RC_VALUE + P1
    [InlineData("0023 0010 0010 0011 0010", 0x1E6)]        // BN P-638 (not implemented): TPM_RC_CURVE + P1
    [InlineData("0023 0010 001B 000B 0003 0010", 0x1D2)]   // SM2 (not implemented): TPM_RC_SCHEME + P1
    [InlineData("0025 0006 0040 0043", 0x1C4)]             // AES-64: TPM_RC_VALUE + P1
    [InlineData("0099", 0x1CA)]                            // no object type at all
    [InlineData("0010", 0x1CA)]                            // TPM_ALG_NULL is no object type
    [InlineData("0008 0005 0027", 0x1C3)]                  // HMAC with SHA3-256: TPM_RC_HASH + P1
    [InlineData("0008 0005 0010", 0x1C3)]                  // HMAC needs a hash
    [InlineData("0008 0014 000B", 0x1C4)]                  // RSASSA is no keyed-hash scheme: TPM_RC_VALUE + P1
    [InlineData("0008 000A 000B 0099", 0x1CC)]             // XOR with no KDF: TPM_RC_KDF + P1
    [InlineData("0008 0005", 0x1DA)]                       // truncated: TPM_RC_INSUFFICIENT + P1
    [InlineData("", 0x1DA)]
    [InlineData("0008 0005 000B 00", 0x095)]               // octets left over: TPM_RC_SIZE
    public void UnsupportedParametersFail(string parameters, uint rc) =>
        Assert.Equal($"80010000000A{rc:X8}", TestParms(parameters));

    // ---- The declared types, outside the command ------------------------------------------------

    [Fact]
    public void KeyedHashParmsRoundTrip()
    {
        var hmac = Wire.RoundTrip<TpmtPublicParms>("0008 0005 000B");
        Assert.Equal(TpmAlgId.KeyedHash, hmac.Type);
        Assert.Equal(TpmAlgId.Hmac, hmac.Parameters.KeyedHashDetail.Scheme.Scheme);
        Assert.Equal(TpmAlgId.Sha256, hmac.Parameters.KeyedHashDetail.Scheme.Details.Hmac.HashAlg);

        var xor = Wire.RoundTrip<TpmtPublicParms>("0008 000A 000C 0022");
        Assert.Equal(TpmAlgId.Kdf1Sp800_108, xor.Parameters.KeyedHashDetail.Scheme.Details.Xor.Kdf);
    }

    [Fact]
    public void RsaAndEccParmsMarshal()
    {
        // Writing needs no implementation: the keys issue reads these once RSA and ECC are in.
        var rsa = new TpmtPublicParms
        {
            Type = TpmAlgId.Rsa,
            Parameters = new TpmuPublicParms
            {
                RsaDetail = new TpmsRsaParms
                {
                    Symmetric = new TpmtSymDefObject
                    {
                        Algorithm = TpmAlgId.Aes,
                        KeyBits = new TpmuSymKeyBits { Sym = 128 },
                        Mode = new TpmuSymMode { Sym = TpmAlgId.Cfb },
                    },
                    Scheme = new TpmtRsaScheme { Scheme = TpmAlgId.Null },
                    KeyBits = 2048,
                },
            },
        };
        Assert.Equal(Wire.Strip("0001 0006 0080 0043 0010 0800 00000000"), Wire.Write(rsa));

        var ecc = new TpmtPublicParms
        {
            Type = TpmAlgId.Ecc,
            Parameters = new TpmuPublicParms
            {
                EccDetail = new TpmsEccParms
                {
                    Symmetric = new TpmtSymDefObject { Algorithm = TpmAlgId.Null },
                    Scheme = new TpmtEccScheme
                    {
                        Scheme = TpmAlgId.EcDaa,
                        Details = new TpmuAsymScheme { Ecdaa = new TpmsSchemeEcdaa { HashAlg = TpmAlgId.Sha256, Count = 7 } },
                    },
                    CurveId = TpmEccCurve.NistP256,
                    Kdf = new TpmtKdfScheme
                    {
                        Scheme = TpmAlgId.Kdf1Sp800_56A,
                        Details = new TpmuKdfScheme { AnyKdf = new TpmsSchemeHash { HashAlg = TpmAlgId.Sha256 } },
                    },
                },
            },
        };
        Assert.Equal(Wire.Strip("0023 0010 001A 000B 0007 0003 0020 000B"), Wire.Write(ecc));
    }

    [Fact]
    public void SymDefObjectMayBeNullOnlyWhereAllowed()
    {
        Assert.Equal(TpmRc.Symmetric, Wire.Read("0010", out TpmsSymcipherParms _));
        Assert.Equal(TpmRc.Success, Wire.Read("0006 0080 0043", out TpmsSymcipherParms _));
        Assert.Equal(TpmRc.Symmetric, Wire.Read("0026 0080 0043", out TpmsSymcipherParms _));   // Camellia: not implemented
        Assert.Equal(TpmRc.Success, TpmCheck.SymDefObject(new TpmtSymDefObject { Algorithm = TpmAlgId.Null }, allowNull: true));
        Assert.Equal(TpmRc.Value, TpmCheck.SymDefObject(
            new TpmtSymDefObject { Algorithm = TpmAlgId.Aes, KeyBits = new TpmuSymKeyBits { Sym = 100 } }, allowNull: true));
    }

    [Fact]
    public void SchemeChecksGiveTheirCodes()
    {
        Assert.Equal(TpmRc.Success, Wire.Read("0014 000B", out TpmtRsaScheme _));     // RSASSA
        Assert.Equal(TpmRc.Value, Wire.Read("0018 000B", out TpmtRsaScheme _));       // ECDSA is no RSA scheme
        Assert.Equal(TpmRc.Success, Wire.Read("0010", out TpmtRsaScheme _));
        Assert.Equal(TpmRc.Success, Wire.Read("0018 000B", out TpmtEccScheme _));     // ECDSA
        Assert.Equal(TpmRc.Success, Wire.Read("001A 000B 0001", out TpmtEccScheme _)); // ECDAA
        Assert.Equal(TpmRc.Scheme, Wire.Read("001B 000B", out TpmtEccScheme _));      // SM2: not implemented
        Assert.Equal(TpmRc.Success, Wire.Read("0021 000B", out TpmtKdfScheme _));     // KDF2 (ECC_Encrypt)
        Assert.Equal(TpmRc.Kdf, Wire.Read("0019 000B", out TpmtKdfScheme _));         // ECDH is no KDF
        Assert.Equal(TpmRc.Success, Wire.Read("0022 000B", out TpmtKdfScheme _));     // KDF1_SP800_108
        Assert.Equal(TpmRc.Success, TpmCheck.EccCurve(TpmEccCurve.NistP256, allowNull: false));
        Assert.Equal(TpmRc.Success, TpmCheck.EccCurve(TpmEccCurve.BnP256, allowNull: false));
        Assert.Equal(TpmRc.Curve, TpmCheck.EccCurve(TpmEccCurve.BnP638, allowNull: false));
        Assert.Equal(TpmRc.Success, TpmCheck.RsaKeyBits(2048, allowNull: false));
        Assert.Equal(TpmRc.Value, TpmCheck.RsaKeyBits(2047, allowNull: false));
    }
}
