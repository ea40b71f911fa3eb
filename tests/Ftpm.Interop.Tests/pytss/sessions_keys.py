"""Sessions with keys through tpm2-pytss (ESAPI): salted sessions (RSA and ECC tpmKey) with parameter
encryption checked on the wire, signing authorized through an HMAC session, sealing to a PCR policy,
and PolicyAuthorize with a policy signed outside the TPM (python cryptography, as openssl would)
and checked by TPM2_VerifySignature.
Usage: python3 sessions_keys.py PORT  -- prints 'ok' at the end; any failure raises."""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import expect_rc, sensitive  # noqa: E402
from relay import Relay  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils  # noqa: E402
from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception  # noqa: E402
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_RC, TPM2_SE, TPM2_ST, TPM2_RH, TPMA_OBJECT, TPMA_SESSION  # noqa: E402
from tpm2_pytss.types import (TPM2B_AUTH, TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPM2B_SENSITIVE_DATA,  # noqa: E402
                              TPMS_SENSITIVE_CREATE, TPMT_HA, TPMT_SIG_SCHEME, TPMT_SIGNATURE, TPMT_SYM_DEF,
                              TPMT_TK_HASHCHECK, TPMT_TK_VERIFIED, TPML_DIGEST_VALUES, TPMU_HA, TPMU_SYM_KEY_BITS, TPMU_SYM_MODE,
                              TPMS_SIGNATURE_RSA, TPMU_SIGNATURE, TPM2B_PUBLIC_KEY_RSA)

relay = Relay(int(sys.argv[1]))
esys = ESAPI(TCTILdr.parse(f"mssim:host=127.0.0.1,port={relay.port}"))

STORAGE = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
           TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT | TPMA_OBJECT.NODA)
SIGNING = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
           TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT)
SEALED = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.NODA
AES128 = TPMT_SYM_DEF(algorithm=TPM2_ALG.AES, keyBits=TPMU_SYM_KEY_BITS(aes=128), mode=TPMU_SYM_MODE(aes=TPM2_ALG.CFB))
PCR23 = "sha256:23"


# ---- Salted sessions: the salt is encrypted to an RSA (OAEP) or ECC (ECDH + KDFe) primary key ----
for template in ("rsa2048:aes128cfb", "ecc256:aes128cfb"):
    srk, _, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse(template, objectAttributes=STORAGE))
    session = esys.start_auth_session(srk, ESYS_TR.NONE, TPM2_SE.HMAC, AES128, TPM2_ALG.SHA256)
    esys.trsess_set_attributes(session, TPMA_SESSION.CONTINUESESSION | TPMA_SESSION.DECRYPT | TPMA_SESSION.ENCRYPT)
    secret = os.urandom(40)
    relay.clear()
    digest, _ = esys.hash(secret, TPM2_ALG.SHA256, ESYS_TR.RH_NULL, session1=session)
    assert bytes(digest) == hashlib.sha256(secret).digest(), f"{template}: hash through a salted session"
    assert not relay.seen(secret) and not relay.seen(bytes(digest)), f"{template}: secret in clear on the wire"
    random = bytes(esys.get_random(32, session1=session))
    assert not relay.seen(random), f"{template}: random bytes in clear"
    # A salted and bound session (bound to the owner hierarchy).
    bound = esys.start_auth_session(srk, ESYS_TR.OWNER, TPM2_SE.HMAC, AES128, TPM2_ALG.SHA256)
    esys.trsess_set_attributes(bound, TPMA_SESSION.CONTINUESESSION | TPMA_SESSION.ENCRYPT)
    assert len(bytes(esys.get_random(16, session1=bound))) == 16
    esys.flush_context(bound)
    esys.flush_context(session)
    esys.flush_context(srk)

srk, _, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse("ecc256:aes128cfb", objectAttributes=STORAGE))

# ---- Signing authorized through an HMAC session with the key's password ----
priv, pub, _, _, _ = esys.create(srk, sensitive(b"keypass"), TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=SIGNING))
key = esys.load(srk, priv, pub)
session = esys.start_auth_session(srk, ESYS_TR.NONE, TPM2_SE.HMAC, AES128, TPM2_ALG.SHA256)
esys.trsess_set_attributes(session, TPMA_SESSION.CONTINUESESSION)
digest = hashlib.sha256(b"signed through a session").digest()
null_ticket = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)
scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL)
esys.tr_set_auth(key, b"wrong")
expect_rc(TPM2_RC.AUTH_FAIL + TPM2_RC.S + TPM2_RC.RC1, esys.sign, key, digest, scheme, null_ticket, session1=session)
esys.tr_set_auth(key, b"keypass")
sig = esys.sign(key, digest, scheme, null_ticket, session1=session)
x = int.from_bytes(bytes(pub.publicArea.unique.ecc.x), "big")
y = int.from_bytes(bytes(pub.publicArea.unique.ecc.y), "big")
r = int.from_bytes(bytes(sig.signature.ecdsa.signatureR), "big")
s = int.from_bytes(bytes(sig.signature.ecdsa.signatureS), "big")
ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key().verify(
    utils.encode_dss_signature(r, s), digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
esys.flush_context(session)
esys.flush_context(key)


# ---- Sealing to PCR 23: unseals while PCR 23 is unchanged, TPM_RC_POLICY_FAIL after an extend ----
def pcr_policy(session_type):
    s = esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, session_type, AES128, TPM2_ALG.SHA256)
    esys.policy_pcr(s, b"", PCR23)
    return s


trial = pcr_policy(TPM2_SE.TRIAL)
policy = bytes(esys.policy_get_digest(trial))
esys.flush_context(trial)
sealed_pub = TPM2B_PUBLIC.parse("keyedhash", objectAttributes=SEALED)
sealed_pub.publicArea.authPolicy = policy
priv, pub, _, _, _ = esys.create(srk, sensitive(b"", b"disk key"), sealed_pub)
sealed = esys.load(srk, priv, pub)
s = pcr_policy(TPM2_SE.POLICY)
assert bytes(esys.unseal(sealed, session1=s)) == b"disk key"
esys.flush_context(s)
esys.pcr_extend(ESYS_TR.PCR23, TPML_DIGEST_VALUES([TPMT_HA(hashAlg=TPM2_ALG.SHA256, digest=TPMU_HA(sha256=hashlib.sha256(b"boot").digest()))]))
s = pcr_policy(TPM2_SE.POLICY)
expect_rc(TPM2_RC.POLICY_FAIL + TPM2_RC.S + TPM2_RC.RC1, esys.unseal, sealed, session1=s)
esys.flush_context(s)
esys.flush_context(sealed)

# ---- PolicyAuthorize: a policy signed outside the TPM, checked by VerifySignature ----
# The signer is an RSA key made here (as openssl would), loaded into the TPM as a public key with
# LoadExternal. Until the keys issue implements LoadExternal, a TPM-made signing key stands in.
signer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
modulus = signer.public_key().public_numbers().n.to_bytes(256, "big")
ext = TPM2B_PUBLIC.parse("rsa2048:rsassa-sha256:null", objectAttributes=TPMA_OBJECT.SIGN_ENCRYPT | TPMA_OBJECT.USERWITHAUTH)
ext.publicArea.unique.rsa = TPM2B_PUBLIC_KEY_RSA(modulus)
try:
    verifier = esys.load_external(ext, hierarchy=ESYS_TR.OWNER)
    external = True
except TSS2_Exception as e:
    assert e.rc == TPM2_RC.COMMAND_CODE, f"load_external: {e.rc:#x}"
    priv, pub, _, _, _ = esys.create(srk, sensitive(), TPM2B_PUBLIC.parse("rsa2048:rsassa-sha256", objectAttributes=SIGNING))
    verifier = esys.load(srk, priv, pub)
    external = False
key_name = bytes(esys.tr_get_name(verifier))
policy_ref = b"release-1"
# The object's policy: PolicyAuthorize(keyName, policyRef), computed in a trial session.
trial = esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.TRIAL, AES128, TPM2_ALG.SHA256)
esys.policy_authorize(trial, b"", policy_ref, key_name, TPMT_TK_VERIFIED(tag=TPM2_ST.VERIFIED, hierarchy=TPM2_RH.NULL))
authorize_policy = bytes(esys.policy_get_digest(trial))
esys.flush_context(trial)
assert authorize_policy == hashlib.sha256(hashlib.sha256(
    bytes(32) + (0x16A).to_bytes(4, "big") + key_name).digest() + policy_ref).digest(), "PolicyAuthorize digest"
sealed_pub = TPM2B_PUBLIC.parse("keyedhash", objectAttributes=SEALED)
sealed_pub.publicArea.authPolicy = authorize_policy
priv, pub, _, _, _ = esys.create(srk, sensitive(b"", b"authorized secret"), sealed_pub)
sealed = esys.load(srk, priv, pub)

# The approved policy: PCR 23 as it is now (after the extend above), signed by the signer.
trial = pcr_policy(TPM2_SE.TRIAL)
approved = bytes(esys.policy_get_digest(trial))
esys.flush_context(trial)
a_hash = hashlib.sha256(approved + policy_ref).digest()
if external:
    signature = signer.sign(a_hash, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    tpm_sig = TPMT_SIGNATURE(sigAlg=TPM2_ALG.RSASSA, signature=TPMU_SIGNATURE(
        rsassa=TPMS_SIGNATURE_RSA(hash=TPM2_ALG.SHA256, sig=signature)))
else:
    tpm_sig = esys.sign(verifier, a_hash, TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL), null_ticket)
ticket = esys.verify_signature(verifier, a_hash, tpm_sig)
s = pcr_policy(TPM2_SE.POLICY)
esys.policy_authorize(s, approved, policy_ref, key_name, ticket)
assert bytes(esys.policy_get_digest(s)) == authorize_policy
assert bytes(esys.unseal(sealed, session1=s)) == b"authorized secret"
esys.flush_context(s)
# Another policyRef than the one signed: the ticket does not match (TPM_RC_VALUE on checkTicket).
s = pcr_policy(TPM2_SE.POLICY)
expect_rc(TPM2_RC.VALUE + TPM2_RC.P + TPM2_RC.RC4, esys.policy_authorize, s, approved, b"release-2", key_name, ticket)
esys.flush_context(s)

# ---- PolicySigned: the signer authorizes this session by signing H(nonceTPM || expiration || cpHashA || policyRef) ----
s = esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.POLICY, AES128, TPM2_ALG.SHA256)
nonce_tpm = bytes(esys.trsess_get_nonce_tpm(s))
expiration = -30
a_hash = hashlib.sha256(nonce_tpm + expiration.to_bytes(4, "big", signed=True) + policy_ref).digest()
if external:
    raw = signer.sign(a_hash, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    auth = TPMT_SIGNATURE(sigAlg=TPM2_ALG.RSASSA, signature=TPMU_SIGNATURE(rsassa=TPMS_SIGNATURE_RSA(hash=TPM2_ALG.SHA256, sig=raw)))
else:
    auth = esys.sign(verifier, a_hash, TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL), null_ticket)
timeout, signed_ticket = esys.policy_signed(verifier, s, nonce_tpm, b"", policy_ref, expiration, auth)
signed_policy = hashlib.sha256(hashlib.sha256(bytes(32) + (0x160).to_bytes(4, "big") + key_name).digest() + policy_ref).digest()
assert bytes(esys.policy_get_digest(s)) == signed_policy, "PolicySigned digest"
assert timeout.size == 8 and signed_ticket.tag == TPM2_ST.AUTH_SIGNED
esys.flush_context(s)
# The ticket stands for the signature in another session (PolicyTicket), with the same digest.
s = esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.POLICY, AES128, TPM2_ALG.SHA256)
esys.policy_ticket(s, timeout, b"", policy_ref, key_name, signed_ticket)
assert bytes(esys.policy_get_digest(s)) == signed_policy, "PolicyTicket digest"
# A signature over something else: TPM_RC_SIGNATURE on the auth parameter (P5).
other = esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.POLICY, AES128, TPM2_ALG.SHA256)
expect_rc(TPM2_RC.SIGNATURE + TPM2_RC.P + TPM2_RC.RC5, esys.policy_signed, verifier, other,
          bytes(esys.trsess_get_nonce_tpm(other)), b"", policy_ref, expiration, auth)
esys.flush_context(other)
esys.flush_context(s)

esys.close()
print("ok" if external else "ok (PolicyAuthorize and PolicySigned signer made in the TPM: LoadExternal not implemented)")
