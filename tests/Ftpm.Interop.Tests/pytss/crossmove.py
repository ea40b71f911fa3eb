"""Blobs exchanged between two TPMs, ftpm and swtpm (the reference code), through tpm2-pytss: each duplicates
a key to the other's storage key (outer wrapper with an RSA or ECC seed, inner AES wrapper) and the other
imports it, loads it and signs what the first verifies; each makes a credential (TPM2_MakeCredential) for a
key of the other, and the other activates it. So the secret sharing ("DUPLICATE", "IDENTITY"), KDFa/KDFe,
the wrappers and their integrity are byte-compatible with the reference in both directions.
Usage: python3 crossmove.py TCTI_A TCTI_B -- prints 'ok' at the end; any failure raises."""
import hashlib
import os
import sys

from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_CC, TPM2_SE, TPMA_OBJECT
from tpm2_pytss.types import (TPM2B_DATA, TPM2B_DIGEST, TPM2B_PUBLIC, TPMT_SIG_SCHEME, TPMT_SYM_DEF,
                              TPMT_SYM_DEF_OBJECT, TPMT_TK_HASHCHECK)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import connect, sensitive  # noqa: E402

tpms = [connect(sys.argv[1]), connect(sys.argv[2])]

AES = TPMT_SYM_DEF_OBJECT(algorithm=TPM2_ALG.AES)
AES.keyBits.aes = 128
AES.mode.aes = TPM2_ALG.CFB
STORAGE = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH \
    | TPMA_OBJECT.NODA | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT
SIGNING = TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT
policy = hashlib.sha256(bytes(32) + (0x16C).to_bytes(4, "big") + (0x14B).to_bytes(4, "big")).digest()
digest = TPM2B_DIGEST(hashlib.sha256(b"crossed over").digest())
scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.ECDSA)
scheme.details.any.hashAlg = TPM2_ALG.SHA256
no_ticket = TPMT_TK_HASHCHECK(tag=0x8024, hierarchy=0x40000007)


def primary(esys, template):
    handle, public, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse(template, objectAttributes=STORAGE))
    return handle, public


for parent_template in ("rsa2048:aes128cfb", "ecc256:aes128cfb"):
    for a, b in ((tpms[0], tpms[1]), (tpms[1], tpms[0])):
        # b's storage key; a learns only its public part.
        b_parent, b_parent_public = primary(b, parent_template)
        a_new_parent = a.load_external(b_parent_public, None, ESYS_TR.RH_OWNER)
        a_source, _ = primary(a, "ecc256:aes128cfb")
        template = TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=SIGNING)
        template.publicArea.authPolicy = TPM2B_DIGEST(policy)
        priv, pub, _, _, _ = a.create(a_source, sensitive(), template)
        key = a.load(a_source, priv, pub)
        s = a.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.POLICY, TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), TPM2_ALG.SHA256)
        a.policy_command_code(s, TPM2_CC.Duplicate)
        inner, dup, seed = a.duplicate(key, a_new_parent, TPM2B_DATA(b""), AES, session1=s)
        a.flush_context(s)
        a.flush_context(a_new_parent)

        moved_private = b.import_(b_parent, inner, pub, dup, seed, AES)
        moved = b.load(b_parent, moved_private, pub)
        signature = b.sign(moved, digest, scheme, no_ticket)
        a.verify_signature(key, digest, signature)   # raises unless it verifies
        b.flush_context(moved)

        # A credential b makes for a's key opens on a, with a's storage key as the protector (and the
        # other way round in the second pass).
        a_protector_public = a.read_public(a_source)[0]
        b_protector = b.load_external(a_protector_public, None, ESYS_TR.RH_OWNER)
        blob, secret = b.make_credential(b_protector, TPM2B_DIGEST(b"cross credential"), a.tr_get_name(key))
        assert bytes(a.activate_credential(key, a_source, blob, secret)) == b"cross credential"
        b.flush_context(b_protector)
        a.flush_context(key)
        a.flush_context(a_source)
        b.flush_context(b_parent)
print("ok")
