"""Derived objects through tpm2-pytss: TPM2_CreateLoaded under a derivation parent (Part 1, "Derived
Objects"; Part 3, 12.9). Usage: python3 derive.py TCTI
Prints 'known X Y' (the key derived under a parent whose secret the script supplies, for comparison with
another TPM) and 'ok' at the end; any failure raises."""
import hashlib
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_ECC, TPM2_RC, TPM2_ST, TPM2_RH, TPM2_SU, TPMA_OBJECT
from tpm2_pytss.types import (TPM2B_AUTH, TPM2B_DIGEST, TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPM2B_SENSITIVE_DATA,
                              TPM2B_TEMPLATE, TPMS_SENSITIVE_CREATE, TPMT_PUBLIC, TPMT_SIG_SCHEME, TPMT_TK_HASHCHECK)
import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import connect, expect_rc, sensitive  # noqa: E402

esys = connect(sys.argv[1])

STORAGE = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
           TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT | TPMA_OBJECT.NODA)
# A derivation parent: a restricted decrypting KEYEDHASH key whose XOR scheme names KDF1_SP800_108.
DERIVATION = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
              TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT)


def derivation_parent_template(attributes):
    t = TPMT_PUBLIC(type=TPM2_ALG.KEYEDHASH, nameAlg=TPM2_ALG.SHA256, objectAttributes=attributes)
    t.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG.XOR
    t.parameters.keyedHashDetail.scheme.details.exclusiveOr.hashAlg = TPM2_ALG.SHA256
    t.parameters.keyedHashDetail.scheme.details.exclusiveOr.kdf = TPM2_ALG.KDF1_SP800_108
    return TPM2B_PUBLIC(publicArea=t)


def tpm2b(b):
    return struct.pack(">H", len(b)) + b


def ecc_child_template(label, context, attributes):
    """TPM2B_TEMPLATE of a P-256 ECDSA key whose unique field is a TPMS_DERIVE {label, context}."""
    t = TPMT_PUBLIC(type=TPM2_ALG.ECC, nameAlg=TPM2_ALG.SHA256, objectAttributes=attributes)
    t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG.NULL
    t.parameters.eccDetail.scheme.scheme = TPM2_ALG.ECDSA
    t.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG.SHA256
    t.parameters.eccDetail.curveID = TPM2_ECC.NIST_P256
    t.parameters.eccDetail.kdf.scheme = TPM2_ALG.NULL
    raw = t.marshal()
    # An empty TPMS_ECC_POINT is the last four octets; a TPMS_DERIVE takes its place.
    assert raw[-4:] == b"\0\0\0\0"
    return TPM2B_TEMPLATE(raw[:-4] + tpm2b(label) + tpm2b(context))


def point(public):
    p = public.publicArea.unique.ecc
    return bytes(p.x), bytes(p.y)


CHILD = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT

srk, _, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse("ecc256:aes128cfb", objectAttributes=STORAGE))

# 1. A derivation parent made by the TPM (Create, then Load under the SRK).
priv, pub, _, _, _ = esys.create(srk, sensitive(b"parent"), derivation_parent_template(DERIVATION))
parent = esys.load(srk, priv, pub)
esys.tr_set_auth(parent, b"parent")
esys.flush_context(srk)   # a TPM holds three transient objects

# 2. The same template, label and context give the same key, every time.
h1, out_private, pub1 = esys.create_loaded(parent, sensitive(b"child"), ecc_child_template(b"label", b"ctx-1", CHILD))
assert len(bytes(out_private)) == 0, "a derived object has no protected form"
esys.flush_context(h1)
h2, _, pub2 = esys.create_loaded(parent, sensitive(b"child"), ecc_child_template(b"label", b"ctx-1", CHILD))
assert point(pub1) == point(pub2), "same label and context must derive the same key"
assert len(point(pub1)[0]) == 32
# 3. Another context (or label) gives another key.
h3, _, pub3 = esys.create_loaded(parent, sensitive(), ecc_child_template(b"label", b"ctx-2", CHILD))
assert point(pub3) != point(pub1), "another context must derive another key"
esys.flush_context(h3)
# The label and context may come from inSensitive.data (a TPMS_DERIVE) where the template leaves them empty.
h4, _, pub4 = esys.create_loaded(parent, sensitive(data=tpm2b(b"label") + tpm2b(b"ctx-1")), ecc_child_template(b"", b"", CHILD))
assert point(pub4) == point(pub1), "label and context from the sensitive data"
esys.flush_context(h4)

# 4. The derived key signs; the cryptography module verifies with the derived public key.
esys.tr_set_auth(h2, b"child")
message = b"derived keys sign"
digest = hashlib.sha256(message).digest()
scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.ECDSA)
scheme.details.ecdsa.hashAlg = TPM2_ALG.SHA256
ticket = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)
sig = esys.sign(h2, TPM2B_DIGEST(digest), scheme, ticket)
x, y = point(pub2)
key = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()).public_key()
der = encode_dss_signature(int.from_bytes(bytes(sig.signature.ecdsa.signatureR), "big"),
                           int.from_bytes(bytes(sig.signature.ecdsa.signatureS), "big"))
key.verify(der, message, ec.ECDSA(hashes.SHA256()))
esys.flush_context(h2)

# 5. Refusals: an RSA template (TPM_RC_TYPE + P2), a child that is not fixedParent (TPM_RC_ATTRIBUTES + P2),
#    Create under a derivation parent (it is no storage key: TPM_RC_TYPE + H1).
rsa = TPM2B_PUBLIC.parse("rsa2048:rsassa-sha256:null", objectAttributes=CHILD).publicArea.marshal()
assert rsa[-2:] == b"\0\0"   # an empty modulus; a TPMS_DERIVE takes its place
rsa = rsa[:-2] + tpm2b(b"l") + tpm2b(b"c")
expect_rc(TPM2_RC.TYPE + TPM2_RC.P + TPM2_RC.RC2, esys.create_loaded, parent, sensitive(), TPM2B_TEMPLATE(rsa))
expect_rc(TPM2_RC.ATTRIBUTES + TPM2_RC.P + TPM2_RC.RC2, esys.create_loaded, parent, sensitive(),
          ecc_child_template(b"l", b"c", CHILD & ~(TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.FIXEDTPM)))
expect_rc(TPM2_RC.TYPE + TPM2_RC.H + TPM2_RC.RC1, esys.create, parent, sensitive(), TPM2B_PUBLIC.parse("ecc256"))
esys.flush_context(parent)
srk, _, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse("ecc256:aes128cfb", objectAttributes=STORAGE))

# 6. A derivation parent with a secret the caller supplies (then it may be neither fixedTPM nor fixedParent):
#    the key derived under it depends only on that secret, label and context, so two TPMs agree on it.
known = DERIVATION & ~(TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN)
expect_rc(TPM2_RC.ATTRIBUTES + TPM2_RC.P + TPM2_RC.RC2, esys.create, srk, sensitive(data=bytes(range(32))),
          derivation_parent_template(known | TPMA_OBJECT.FIXEDPARENT))
priv, pub, _, _, _ = esys.create(srk, sensitive(data=bytes(range(32))), derivation_parent_template(known))
parent = esys.load(srk, priv, pub)
h, _, pubk = esys.create_loaded(parent, sensitive(), ecc_child_template(b"ftpm", b"derive",
                                                                      TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT))
x, y = point(pubk)
print("known", x.hex(), y.hex())
esys.flush_context(h)
esys.flush_context(parent)
esys.flush_context(srk)
print("ok")
