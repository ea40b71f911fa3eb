using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

// Part 3 v185, 14.10 and 14.11: Encapsulate and Decapsulate, the public- and private-key operations of a Key
// Encapsulation Mechanism (Part 1 v185, 8.4.5.1, Table 4 "any KEM"). The KEMs are ML-KEM (FIPS 203; Part 1
// v185, 47.3), whose shared secret is ML-KEM's 32 octets (no KDM step), and the ECC KEM, DHKEM of RFC 9180
// with the key's HKDF (Part 1 v185, 44.4; <see cref="DhKem"/>), for an ECC key whose kdf is not NULL.
internal static partial class Asymmetric
{
    internal static readonly CommandInfo[] KemCommands =
    [
        new CommandOut<EncapsulateOut>(TpmCc.Encapsulate, Encapsulate) { Handles = [new(HandleKinds.Object)], EncryptFirstResponseParameter = true },
        new Command<DecapsulateIn, DecapsulateOut>(TpmCc.Decapsulate, Decapsulate)
        {
            Handles = [new(HandleKinds.Object, AuthRole.User)],
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
    ];

    /// <summary>The KEM key behind a handle ("shall be a KEM key (TPM_RC_KEY)"): an ML-KEM key, or an ECC key
    /// that <see cref="DhKem.Check"/> accepts. Codes (H1): TPM_RC_KEY for any other object; TPM_RC_KDF for
    /// an ECC key whose kdf is not HKDF.</summary>
    static TpmRc GetKemKey(Tpm tpm, uint handle, out TpmKey key)
    {
        key = tpm.KeyOf(handle)!;
        if (key is { Type: TpmAlgId.MlKem }) return TpmRc.Success;
        if (key is not { Type: TpmAlgId.Ecc }) return TpmRc.Key.AtHandle(1);
        var rc = DhKem.Check(key);
        return rc == TpmRc.Success ? rc : rc.AtHandle(1);
    }

    [TpmParameters]
    internal partial struct EncapsulateOut
    {
        public Tpm2bSharedSecret SharedSecret;
        public Tpm2bKemCiphertext Ciphertext;
    }

    /// <summary>TPM2_Encapsulate (Part 3 v185, 14.10): a random shared secret and its ciphertext for the public
    /// key of any loaded KEM key (no authorization; the TPM "does not verify the objectAttributes of the
    /// key", which it could not check for a public-only key). Codes: those of <see cref="GetKemKey"/>;
    /// TPM_RC_NO_RESULT (unnumbered) when the ECC exchange gives the point at infinity.</summary>
    static TpmRc Encapsulate(Tpm tpm, ref CommandContext c, out EncapsulateOut o)
    {
        o = default;
        var rc = GetKemKey(tpm, c.Handles[0], out var key);
        if (rc != TpmRc.Success) return rc;
        // The secret is in the scratch area, which is wiped once the response is marshaled.
        byte[] secret, ciphertext;
        if (key.Type == TpmAlgId.MlKem)
        {
            secret = new byte[SecretSharing.MlKemSharedSecretSize];
            ciphertext = new byte[TpmLimits.MaxMlKemCtSize];
            int n = tpm.Crypto.MlKemEncapsulate(key.Asymmetric!, new DrbgStream(tpm.Random), secret, ciphertext);
            ciphertext = ciphertext[..n];
        }
        else
        {
            rc = DhKem.Encapsulate(tpm, key, out secret, out ciphertext);
            if (rc != TpmRc.Success) return rc;
        }
        o.SharedSecret = new Tpm2bSharedSecret { Buffer = ObjectSupport.MoveToScratch(tpm, secret) };
        o.Ciphertext = new Tpm2bKemCiphertext { Buffer = ciphertext };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct DecapsulateIn
    {
        public Tpm2bKemCiphertext Ciphertext;
    }

    [TpmParameters]
    internal partial struct DecapsulateOut
    {
        public Tpm2bSharedSecret SharedSecret;
    }

    /// <summary>TPM2_Decapsulate (Part 3 v185, 14.11): the shared secret of a ciphertext, with the private key
    /// of a KEM key that is not restricted and decrypts. A restricted KEM key only takes part in the Labeled
    /// KEM of the restricted-decryption protocols (Part 1 v185, 8.4.5.2), whose secrets this would otherwise
    /// reveal. Codes: those of <see cref="GetKemKey"/> (H1); TPM_RC_ATTRIBUTES (H1) for a restricted key or
    /// one without decrypt; TPM_RC_KEY (H1) for a key with only its public part loaded; TPM_RC_SIZE (P1) for a
    /// ciphertext that is not the size of the key's parameter set (FIPS 203, 7.3) or curve; TPM_RC_ECC_POINT
    /// (P1) for an ECC ciphertext that is not an uncompressed point on the key's curve; TPM_RC_NO_RESULT
    /// (unnumbered) when the product is the point at infinity. An ML-KEM ciphertext of the right size always
    /// yields a secret (implicit rejection).</summary>
    static TpmRc Decapsulate(Tpm tpm, ref CommandContext c, in DecapsulateIn p, out DecapsulateOut o)
    {
        o = default;
        var rc = GetKemKey(tpm, c.Handles[0], out var key);
        if (rc != TpmRc.Success) return rc;
        if (key.Has(TpmaObject.Restricted) || !key.Has(TpmaObject.Decrypt)) return TpmRc.Attributes.AtHandle(1);
        if (!key.HasSensitive) return TpmRc.Key.AtHandle(1);
        var ciphertext = p.Ciphertext.Buffer.Span;
        byte[] secret;
        if (key.Type == TpmAlgId.MlKem)
        {
            if (ciphertext.Length != MlParameterSets.CiphertextSize(key.Public.Parameters.MlKemDetail.ParameterSet))
                return TpmRc.Size.AtParameter(DecapsulateIn.Param.Ciphertext);
            secret = new byte[SecretSharing.MlKemSharedSecretSize];
            if (!tpm.Crypto.MlKemDecapsulate(key.Asymmetric!, ciphertext, secret)) return TpmRc.Size.AtParameter(DecapsulateIn.Param.Ciphertext);
        }
        else
        {
            rc = DhKem.Decapsulate(tpm, key, ciphertext, out secret);
            if (rc == TpmRc.Size || rc == TpmRc.EccPoint) return rc.AtParameter(DecapsulateIn.Param.Ciphertext);
            if (rc != TpmRc.Success) return rc;
        }
        o.SharedSecret = new Tpm2bSharedSecret { Buffer = ObjectSupport.MoveToScratch(tpm, secret) };
        return TpmRc.Success;
    }
}
