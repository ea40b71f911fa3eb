"""Objects through tpm2-pytss (ESAPI, password sessions): tpm2-tools 5.4 opens an HMAC session for
tpm2_createprimary, which this TPM does not have yet, so the same commands are driven here.
Usage: python3 keys_objects.py TCTI WORKDIR -- prints 'ok' at the end; any failure raises."""
import hashlib
import os
import subprocess
import sys

from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_RC, TPM2_SU, TPMA_OBJECT, TPM2_ST, TPM2_RH
from tpm2_pytss.types import (TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPMS_SENSITIVE_CREATE, TPM2B_SENSITIVE_DATA,
                              TPM2B_AUTH, TPMT_SIG_SCHEME, TPMT_TK_HASHCHECK, TPM2B_DIGEST)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import expect_rc, sensitive  # noqa: E402

esys = ESAPI(TCTILdr.parse(sys.argv[1]))
work = sys.argv[2]
esys.startup(TPM2_SU.CLEAR)

STORAGE = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
           TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT | TPMA_OBJECT.NODA)
SIGNING = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
           TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT)


def primary(template):
    handle, public, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse(template, objectAttributes=STORAGE))
    name = bytes(esys.tr_get_name(handle))
    return handle, public, name


# CreatePrimary twice gives the same key (ECC and RSA), also after flushing.
for template in ["ecc256:aes128cfb", "ecc384:aes256cfb", "rsa2048:aes128cfb"]:
    h1, p1, n1 = primary(template)
    esys.flush_context(h1)
    h2, p2, n2 = primary(template)
    esys.flush_context(h2)
    assert n1 == n2, f"{template}: names differ"
    assert len(n1) == 34, template
# A different template (unique field) gives another key.
h_other, _, n_other = primary("ecc256:aes256cfb")
esys.flush_context(h_other)
assert n_other != n1

# Endorsement and null hierarchies derive other keys from their own seeds.
for hierarchy in (ESYS_TR.ENDORSEMENT, ESYS_TR.NULL):
    h, _, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse("rsa2048:aes128cfb", objectAttributes=STORAGE), hierarchy)
    assert bytes(esys.tr_get_name(h)) != n1
    esys.flush_context(h)

# Create / Load / ReadPublic under an ECC storage primary.
srk, _, srk_name = primary("ecc256:aes128cfb")
priv, pub, _, _, _ = esys.create(srk, sensitive(b"keypass"), TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=SIGNING))
key = esys.load(srk, priv, pub)
out_pub, name, qname = esys.read_public(key)
assert bytes(name) == bytes(esys.tr_get_name(key))
assert out_pub.publicArea.unique.ecc.x.size == 32

# Sign with the password, verify with openssl against the exported PEM.
esys.tr_set_auth(key, b"keypass")
message = b"signed by ftpm"
digest = hashlib.sha256(message).digest()
scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL)
ticket = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)
sig = esys.sign(key, digest, scheme, ticket)
assert sig.sigAlg == TPM2_ALG.ECDSA
pem = os.path.join(work, "ecc.pem")
open(pem, "wb").write(out_pub.publicArea.to_pem())
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
der = encode_dss_signature(int.from_bytes(bytes(sig.signature.ecdsa.signatureR), "big"),
                           int.from_bytes(bytes(sig.signature.ecdsa.signatureS), "big"))
open(os.path.join(work, "ecc.sig"), "wb").write(der)
open(os.path.join(work, "msg"), "wb").write(message)
subprocess.run(["openssl", "dgst", "-sha256", "-verify", pem, "-signature", os.path.join(work, "ecc.sig"),
                os.path.join(work, "msg")], check=True, capture_output=True)

# VerifySignature gives a TPMT_TK_VERIFIED; a wrong digest is TPM_RC_SIGNATURE (parameter 2).
verified = esys.verify_signature(key, digest, sig)
assert verified.tag == TPM2_ST.VERIFIED and verified.hierarchy == TPM2_RH.OWNER and len(bytes(verified.digest)) == 32
expect_rc(TPM2_RC.SIGNATURE + TPM2_RC.P + TPM2_RC.RC2, esys.verify_signature, key, hashlib.sha256(b"other").digest(), sig)

# A wrong password is TPM_RC_AUTH_FAIL (session 1): the key is DA-protected.
esys.tr_set_auth(key, b"wrong")
expect_rc(TPM2_RC.AUTH_FAIL + TPM2_RC.S + TPM2_RC.RC1, esys.sign, key, digest, scheme, ticket)
esys.flush_context(key)

# A restricted signing key signs only digests the TPM hashed: it needs a hash-check ticket.
priv, pub, _, _, _ = esys.create(srk, sensitive(), TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256:null", objectAttributes=SIGNING | TPMA_OBJECT.RESTRICTED))
ak = esys.load(srk, priv, pub)
expect_rc(TPM2_RC.TICKET + TPM2_RC.P + TPM2_RC.RC3, esys.sign, ak, digest, scheme, ticket)
hashed, hash_ticket = esys.hash(message, TPM2_ALG.SHA256, ESYS_TR.OWNER)
sig = esys.sign(ak, hashed, scheme, hash_ticket)
esys.verify_signature(ak, hashed, sig)
esys.flush_context(ak)

# Seal and unseal (KEYEDHASH sealed data).
SEAL = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.NODA
priv, pub, _, _, _ = esys.create(srk, sensitive(b"", b"the secret"), TPM2B_PUBLIC.parse("keyedhash", objectAttributes=SEAL))
item = esys.load(srk, priv, pub)
assert bytes(esys.unseal(item)) == b"the secret"
esys.flush_context(item)

# A tampered private area is TPM_RC_INTEGRITY (parameter 1).
raw = bytearray(bytes(priv.buffer))
raw[-1] ^= 1
from tpm2_pytss.types import TPM2B_PRIVATE
expect_rc(TPM2_RC.INTEGRITY + TPM2_RC.P + TPM2_RC.RC1, esys.load, srk, TPM2B_PRIVATE(bytes(raw)), pub)

# RSA child under the SRK: RSASSA signature verified by openssl.
priv, pub, _, _, _ = esys.create(srk, sensitive(), TPM2B_PUBLIC.parse("rsa2048:rsassa-sha256", objectAttributes=SIGNING))
rkey = esys.load(srk, priv, pub)
sig = esys.sign(rkey, digest, scheme, ticket)
assert sig.sigAlg == TPM2_ALG.RSASSA
pem = os.path.join(work, "rsa.pem")
open(pem, "wb").write(pub.publicArea.to_pem())
open(os.path.join(work, "rsa.sig"), "wb").write(bytes(sig.signature.rsassa.sig))
subprocess.run(["openssl", "dgst", "-sha256", "-verify", pem, "-signature", os.path.join(work, "rsa.sig"),
                os.path.join(work, "msg")], check=True, capture_output=True)
esys.flush_context(rkey)

# ObjectChangeAuth: the new private area loads and takes the new password.
priv, pub, _, _, _ = esys.create(srk, sensitive(b"old"), TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=SIGNING))
k = esys.load(srk, priv, pub)
esys.tr_set_auth(k, b"old")
new_priv = esys.object_change_auth(k, srk, b"new")
esys.flush_context(k)
k = esys.load(srk, new_priv, pub)
esys.tr_set_auth(k, b"new")
esys.sign(k, digest, scheme, ticket)
esys.flush_context(k)
esys.flush_context(srk)
print("ok")
