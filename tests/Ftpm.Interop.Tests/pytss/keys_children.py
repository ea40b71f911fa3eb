"""Children of the persistent storage keys of keys_persist.py (run after a server restart): an ECDSA key
created and loaded under 0x81000001 signs; the signing key is made persistent at 0x81000003; the
signature (TPMT_SIGNATURE), message and digest are written for tpm2-tools and openssl.
Usage: python3 keys_children.py TCTI WORKDIR -- prints 'ok'."""
import hashlib
import os
import sys

from tpm2_pytss import ESAPI, TCTILdr
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_ST, TPM2_RH, TPMA_OBJECT
from tpm2_pytss.types import TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPMT_SIG_SCHEME, TPMT_TK_HASHCHECK

esys = ESAPI(TCTILdr.parse(sys.argv[1]))
work = sys.argv[2]
SIGNING = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
           TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT | TPMA_OBJECT.NODA)
message = b"persistent keys survive a power loss"
digest = hashlib.sha256(message).digest()
null_ticket = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)
for parent_handle, template, out in ((0x81000001, "ecc256:ecdsa-sha256", "ecc"), (0x81000002, "rsa2048:rsapss-sha256:null", "pss")):
    parent = esys.tr_from_tpmpublic(parent_handle)
    priv, pub, _, _, _ = esys.create(parent, TPM2B_SENSITIVE_CREATE(), TPM2B_PUBLIC.parse(template, objectAttributes=SIGNING))
    key = esys.load(parent, priv, pub)
    sig = esys.sign(key, digest, TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL), null_ticket)
    open(os.path.join(work, out + ".tss"), "wb").write(sig.marshal())
    if out == "ecc":
        esys.evict_control(ESYS_TR.OWNER, key, 0x81000003)
    else:
        open(os.path.join(work, "pss.sig"), "wb").write(bytes(sig.signature.rsapss.sig))
        open(os.path.join(work, "pss.pem"), "wb").write(pub.publicArea.to_pem())
    esys.flush_context(key)
open(os.path.join(work, "msg"), "wb").write(message)
open(os.path.join(work, "digest"), "wb").write(digest)
print("ok")
