"""TPM2_LoadExternal with nameAlg TPM_ALG_NULL through tpm2-pytss (tpm2_loadexternal 5.4 refuses '-g null'):
a public key without a Name in the owner hierarchy verifies a signature made by the cryptography module and
gets the NULL ticket; a key with its private part (null hierarchy) signs and the signature verifies.
Usage: python3 external.py TCTI -- prints 'ok' at the end; any failure raises."""
import hashlib
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_RC, TPM2_RH, TPM2_ST, TPM2_SU, TPMA_OBJECT
from tpm2_pytss.types import (TPM2B_DIGEST, TPM2B_PRIVATE_KEY_RSA, TPM2B_PUBLIC, TPM2B_PUBLIC_KEY_RSA, TPM2B_SENSITIVE,
                              TPMT_SENSITIVE, TPMT_SIG_SCHEME, TPMT_SIGNATURE, TPMT_TK_HASHCHECK)
import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import connect  # noqa: E402

esys = connect(sys.argv[1])

key = rsa.generate_private_key(65537, 2048)
numbers = key.private_numbers()
public = TPM2B_PUBLIC.parse("rsa2048:rsassa-sha256:null", objectAttributes=TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT)
public.publicArea.nameAlg = TPM2_ALG.NULL
public.publicArea.unique.rsa = TPM2B_PUBLIC_KEY_RSA(numbers.public_numbers.n.to_bytes(256, "big"))
message = b"no name"
digest = hashlib.sha256(message).digest()

# Public part only, owner hierarchy: no Name, and VerifySignature answers with the NULL ticket.
handle = esys.load_external(public, None, ESYS_TR.RH_OWNER)
assert len(bytes(esys.tr_get_name(handle))) == 0, "an object without nameAlg has the Empty Buffer as its Name"
_, name, qualified = esys.read_public(handle)
assert len(bytes(name)) == 0 and len(bytes(qualified)) == 0
signature = TPMT_SIGNATURE(sigAlg=TPM2_ALG.RSASSA)
signature.signature.rsassa.hash = TPM2_ALG.SHA256
signature.signature.rsassa.sig = TPM2B_PUBLIC_KEY_RSA(key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
ticket = esys.verify_signature(handle, TPM2B_DIGEST(digest), signature)
assert ticket.tag == TPM2_ST.VERIFIED and ticket.hierarchy == TPM2_RH.NULL and len(bytes(ticket.digest)) == 0
esys.flush_context(handle)

# With the private part (only in the null hierarchy): it signs, and the signature verifies outside.
sensitive = TPM2B_SENSITIVE(sensitiveArea=TPMT_SENSITIVE(sensitiveType=TPM2_ALG.RSA))
sensitive.sensitiveArea.sensitive.rsa = TPM2B_PRIVATE_KEY_RSA(numbers.p.to_bytes(128, "big"))
handle = esys.load_external(public, sensitive, ESYS_TR.RH_NULL)
scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.RSASSA)
scheme.details.rsassa.hashAlg = TPM2_ALG.SHA256
made = esys.sign(handle, TPM2B_DIGEST(digest), scheme, TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL))
key.public_key().verify(bytes(made.signature.rsassa.sig), message, padding.PKCS1v15(), hashes.SHA256())
esys.flush_context(handle)

# An RSA exponent below 7 is TPM_RC_VALUE + P2.
public.publicArea.parameters.rsaDetail.exponent = 3
try:
    esys.load_external(public, None, ESYS_TR.RH_NULL)
    raise AssertionError("exponent 3 loaded")
except TSS2_Exception as e:
    assert e.rc == TPM2_RC.VALUE + TPM2_RC.P + TPM2_RC.RC2, hex(e.rc)
print("ok")
