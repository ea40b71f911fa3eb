"""AES-CMAC through tpm2-pytss: TPM2_MAC and TPM2_MAC_Start share TPM2_HMAC's and TPM2_HMAC_Start's command
codes and wire form, so ESAPI's hmac() and hmac_start() with TPM_ALG_NULL drive them with a SYMCIPHER key
whose mode is TPM_ALG_CMAC. Checked against the cryptography module's CMAC and RFC 4493.
Usage: python3 cmac.py TCTI -- prints the tags and 'ok' at the end; any failure raises."""
import sys

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC
from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_CAP, TPM2_RC, TPM2_RH, TPM2_SU, TPMA_OBJECT
ALG_CMAC = 0x003F   # TPM_ALG_CMAC (pytss 1.2 has no name for it)
from tpm2_pytss.types import (TPM2B_AUTH, TPM2B_MAX_BUFFER, TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPM2B_SENSITIVE_DATA,
                              TPMS_SENSITIVE_CREATE, TPMT_PUBLIC, TPMT_PUBLIC_PARMS)
import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import connect  # noqa: E402

esys = connect(sys.argv[1])

STORAGE = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
           TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT | TPMA_OBJECT.NODA)
KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
MESSAGE = bytes.fromhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")


def reference(data):
    c = CMAC(algorithms.AES(KEY))
    c.update(data)
    return c.finalize()


# RFC 4493, 4, example 4 (64 octets), through the cryptography module too.
assert reference(MESSAGE).hex() == "51f0bebf7e3b9d92fc49741779363cfe"

# CMAC is reported (TPM_CAP_ALGS) and its parameters pass TPM2_TestParms.
_, algs = esys.get_capability(TPM2_CAP.ALGS, ALG_CMAC, 1)
assert algs.data.algorithms[0].alg == ALG_CMAC, "CMAC is not reported"
parms = TPMT_PUBLIC_PARMS(type=TPM2_ALG.SYMCIPHER)
parms.parameters.symDetail.sym.algorithm = TPM2_ALG.AES
parms.parameters.symDetail.sym.keyBits.aes = 128
parms.parameters.symDetail.sym.mode.aes = ALG_CMAC
esys.test_parms(parms)

srk, _, _, _, _ = esys.create_primary(
    TPM2B_SENSITIVE_CREATE(), TPM2B_PUBLIC.parse("ecc256:aes128cfb", objectAttributes=STORAGE))
template = TPMT_PUBLIC(type=TPM2_ALG.SYMCIPHER, nameAlg=TPM2_ALG.SHA256,
                       objectAttributes=TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.USERWITHAUTH |
                       TPMA_OBJECT.SIGN_ENCRYPT)
template.parameters.symDetail.sym.algorithm = TPM2_ALG.AES
template.parameters.symDetail.sym.keyBits.aes = 128
template.parameters.symDetail.sym.mode.aes = ALG_CMAC
sensitive = TPM2B_SENSITIVE_CREATE(TPMS_SENSITIVE_CREATE(userAuth=TPM2B_AUTH(b"k"), data=TPM2B_SENSITIVE_DATA(KEY)))
priv, pub, _, _, _ = esys.create(srk, sensitive, TPM2B_PUBLIC(publicArea=template))
key = esys.load(srk, priv, pub)
esys.flush_context(srk)
esys.tr_set_auth(key, b"k")

# TPM2_MAC: every length the RFC gives, and a few more around block boundaries.
for n in (0, 1, 15, 16, 17, 40, 64):
    tag = bytes(esys.hmac(key, TPM2B_MAX_BUFFER(MESSAGE[:n]), TPM2_ALG.NULL))
    assert tag == reference(MESSAGE[:n]), f"{n} octets"
print("mac", bytes(esys.hmac(key, TPM2B_MAX_BUFFER(MESSAGE[:40]), TPM2_ALG.NULL)).hex())

# TPM2_MAC_Start, SequenceUpdate, a ContextSave/ContextLoad of the sequence, SequenceComplete.
seq = esys.hmac_start(key, TPM2B_AUTH(b"s"), TPM2_ALG.NULL)
esys.tr_set_auth(seq, b"s")
esys.sequence_update(seq, TPM2B_MAX_BUFFER(MESSAGE[:21]))
saved = esys.context_save(seq)
esys.flush_context(seq)
seq = esys.context_load(saved)
esys.tr_set_auth(seq, b"s")
esys.sequence_update(seq, TPM2B_MAX_BUFFER(MESSAGE[21:50]))
tag, ticket = esys.sequence_complete(seq, TPM2B_MAX_BUFFER(MESSAGE[50:]), ESYS_TR.NULL)
assert bytes(tag) == reference(MESSAGE), "sequence"
assert ticket.hierarchy == TPM2_RH.NULL and len(bytes(ticket.digest)) == 0
print("sequence", bytes(tag).hex())
esys.flush_context(key)
print("ok")
