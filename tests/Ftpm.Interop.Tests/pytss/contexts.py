"""ContextSave/ContextLoad through tpm2-pytss (ESAPI): an HMAC session saved and loaded keeps authorizing
and encrypting; a hash sequence and an HMAC sequence saved in the middle finish with the digest Python
computes; a signing key's context loads after a flush and signs; a context blob with one bit flipped is
refused and a session context cannot be loaded twice. The same script runs against swtpm to pin the codes.
Usage: python3 contexts.py TCTI -- prints 'ok'."""
import hashlib
import hmac
import sys

from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_SE, TPM2_SU, TPMA_OBJECT, TPMA_SESSION, TPM2_ST, TPM2_RH
from tpm2_pytss.types import (TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPMS_SENSITIVE_CREATE, TPM2B_AUTH,
                              TPM2B_SENSITIVE_DATA, TPMT_SYM_DEF, TPMT_SIG_SCHEME, TPMT_TK_HASHCHECK, TPMS_CONTEXT)
import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import connect, expect_rc, sensitive  # noqa: E402

esys = connect(sys.argv[1])
BASE = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.NODA | TPMA_OBJECT.SENSITIVEDATAORIGIN
STORAGE = BASE | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT


def save_flush_load(handle):
    # ContextSave leaves an object loaded (only sessions move out), so flush before loading the copy.
    saved = esys.context_save(handle)
    esys.flush_context(handle)
    return esys.context_load(saved)


srk, _, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse("ecc256:aes128cfb", objectAttributes=STORAGE))

# An HMAC session, salted by the SRK, with AES-CFB: saved, loaded back, still encrypts GetRandom.
aes = TPMT_SYM_DEF(algorithm=TPM2_ALG.AES)
aes.keyBits.aes = 128
aes.mode.aes = TPM2_ALG.CFB
session = esys.start_auth_session(srk, ESYS_TR.NONE, TPM2_SE.HMAC, aes, TPM2_ALG.SHA256)
esys.trsess_set_attributes(session, TPMA_SESSION.CONTINUESESSION | TPMA_SESSION.ENCRYPT)
assert len(esys.get_random(16, session1=session)) == 16
saved = esys.context_save(session)
blob = saved.marshal()
session = esys.context_load(saved)
assert len(esys.get_random(16, session1=session)) == 16
# The blob of a session that is loaded again (or was used since) no longer matches its sequence.
stale, _ = TPMS_CONTEXT.unmarshal(blob)
expect_rc(0x1CB, esys.context_load, stale)   # TPM_RC_HANDLE + P1 (as swtpm)
esys.flush_context(session)

# A hash sequence saved in the middle.
seq = esys.hash_sequence_start(TPM2B_AUTH(b""), TPM2_ALG.SHA256)
esys.sequence_update(seq, b"first half ")
seq = save_flush_load(seq)
esys.sequence_update(seq, b"second half")
digest, _ = esys.sequence_complete(seq, b"", ESYS_TR.RH_NULL)
assert bytes(digest) == hashlib.sha256(b"first half second half").digest()

# An HMAC sequence on a keyed-hash key, saved in the middle.
priv, pub, _, _, _ = esys.create(srk, sensitive(), TPM2B_PUBLIC.parse("hmac:sha256", objectAttributes=BASE | TPMA_OBJECT.SIGN_ENCRYPT))
hkey = esys.load(srk, priv, pub)
seq = esys.hmac_start(hkey, TPM2B_AUTH(b"seqauth"), TPM2_ALG.SHA256)
esys.tr_set_auth(seq, b"seqauth")
esys.sequence_update(seq, b"hmac ")
seq = save_flush_load(seq)
esys.tr_set_auth(seq, b"seqauth")
esys.sequence_update(seq, b"data")
mac, _ = esys.sequence_complete(seq, b"", ESYS_TR.RH_NULL)
one_shot = esys.hmac(hkey, b"hmac data", TPM2_ALG.SHA256)
assert bytes(mac) == bytes(one_shot)
esys.flush_context(hkey)

# A signing key: saved, flushed, loaded from the context, signs.
priv, pub, _, _, _ = esys.create(srk, sensitive(), TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=BASE | TPMA_OBJECT.SIGN_ENCRYPT))
key = esys.load(srk, priv, pub)
saved = esys.context_save(key)
blob = bytearray(saved.marshal())
esys.flush_context(key)
key = esys.context_load(saved)
scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.ECDSA)
scheme.details.any.hashAlg = TPM2_ALG.SHA256
sig = esys.sign(key, hashlib.sha256(b"m").digest(), scheme, TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL))
assert sig.sigAlg == TPM2_ALG.ECDSA
esys.flush_context(key)

# One flipped bit in the encrypted part of the TPM's blob: TPM_RC_INTEGRITY at parameter 1. ESAPI's
# contextBlob wraps the TPM's: reserved (4) || TPM2B_CONTEXT_DATA || ESAPI metadata; the TPM's data starts
# with its integrity HMAC (TPM2B_DIGEST, 2 + 32), then the encrypted context.
tpm_data = 8 + 4 + 4 + 2 + 4 + 2
blob[tpm_data + 34 + 10] ^= 0x01
tampered, _ = TPMS_CONTEXT.unmarshal(bytes(blob))
expect_rc(0x1DF, esys.context_load, tampered)
esys.flush_context(srk)
print("ok")
