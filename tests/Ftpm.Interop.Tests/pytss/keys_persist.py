"""Makes persistent keys for the tpm2-tools tests (tpm2_createprimary needs an HMAC session, which this
TPM does not have yet): an ECC P-256 storage primary at 0x81000001 and an RSA-2048 storage primary at
0x81000002 in the owner hierarchy. Usage: python3 keys_persist.py TCTI -- prints 'ok'."""
import sys

from tpm2_pytss import ESAPI, TCTILdr
from tpm2_pytss.constants import ESYS_TR, TPM2_SU, TPMA_OBJECT
from tpm2_pytss.types import TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE

esys = ESAPI(TCTILdr.parse(sys.argv[1]))
esys.startup(TPM2_SU.CLEAR)
STORAGE = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
           TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT | TPMA_OBJECT.NODA)
for template, handle in (("ecc256:aes128cfb", 0x81000001), ("rsa2048:aes128cfb", 0x81000002)):
    key, _, _, _, _ = esys.create_primary(TPM2B_SENSITIVE_CREATE(), TPM2B_PUBLIC.parse(template, objectAttributes=STORAGE))
    esys.evict_control(ESYS_TR.OWNER, key, handle)
    esys.flush_context(key)
print("ok")
