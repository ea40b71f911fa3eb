"""Parameter encryption through tpm2-pytss (ESAPI), checked on the wire.
Usage: python3 sessions.py PORT  (ftpm's mssim command port; the platform port is PORT+1).

ESAPI talks to ftpm through a TCP relay (relay.py), which records every byte of the command
channel. With a session that has decrypt and encrypt set, the secrets ESAPI sends (Hash data,
PCR_Event data) and the values the TPM returns (the digest, random bytes) must never appear in
clear in the recorded traffic, while ESAPI still gets the right answers. Prints 'ok' at the end."""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relay import Relay  # noqa: E402
from tpm2_pytss import ESAPI, TCTILdr
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_SE, TPMA_SESSION
from tpm2_pytss.types import TPMT_SYM_DEF, TPMU_SYM_KEY_BITS, TPMU_SYM_MODE

target = int(sys.argv[1])


relay = Relay(target)
esys = ESAPI(TCTILdr.parse(f"mssim:host=127.0.0.1,port={relay.port}"))


def sym(alg, bits):
    if alg == TPM2_ALG.XOR:
        return TPMT_SYM_DEF(algorithm=alg, keyBits=TPMU_SYM_KEY_BITS(exclusiveOr=TPM2_ALG.SHA256), mode=TPMU_SYM_MODE(sym=TPM2_ALG.NULL))
    return TPMT_SYM_DEF(algorithm=alg, keyBits=TPMU_SYM_KEY_BITS(aes=bits), mode=TPMU_SYM_MODE(aes=TPM2_ALG.CFB))


attributes = TPMA_SESSION.CONTINUESESSION | TPMA_SESSION.DECRYPT | TPMA_SESSION.ENCRYPT
for alg, bits, hashalg, bind in ((TPM2_ALG.AES, 128, TPM2_ALG.SHA256, ESYS_TR.NONE),
                                 (TPM2_ALG.AES, 256, TPM2_ALG.SHA384, ESYS_TR.OWNER),
                                 (TPM2_ALG.XOR, 0, TPM2_ALG.SHA256, ESYS_TR.RH_NULL)):
    session = esys.start_auth_session(ESYS_TR.NONE, bind, TPM2_SE.HMAC, sym(alg, bits), hashalg)
    esys.trsess_set_attributes(session, attributes)

    # Decrypt and encrypt: Hash's data goes encrypted, its digest comes back encrypted.
    secret = os.urandom(48)
    relay.clear()
    digest, _ = esys.hash(secret, TPM2_ALG.SHA256, ESYS_TR.RH_NULL, session1=session)
    assert bytes(digest) == hashlib.sha256(secret).digest(), "hash through an encrypting session"
    assert len(relay.sent) > len(secret), "the relay saw the command"
    assert not relay.seen(secret), f"{alg}: Hash data in clear on the wire"
    assert not relay.seen(bytes(digest)), f"{alg}: digest in clear on the wire"

    # Encrypt: random bytes come back encrypted.
    relay.clear()
    random = bytes(esys.get_random(32, session1=session))
    assert len(random) == 32 and not relay.seen(random), f"{alg}: random bytes in clear on the wire"

    # The same session authorizes PCR_Event (PCR 16, empty authValue) and decrypts its data.
    event = os.urandom(40)
    relay.clear()
    digests = esys.pcr_event(ESYS_TR.PCR16, event, session1=session)
    by_alg = {int(d.hashAlg): bytes(d.digest.sha256) for d in digests if int(d.hashAlg) == TPM2_ALG.SHA256}
    assert by_alg[TPM2_ALG.SHA256] == hashlib.sha256(event).digest(), "pcr_event digest"
    assert not relay.seen(event), f"{alg}: event data in clear on the wire"

    esys.flush_context(session)

# Without the decrypt attribute the same data is visible: the check above can fail.
session = esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.HMAC, sym(TPM2_ALG.AES, 128), TPM2_ALG.SHA256)
esys.trsess_set_attributes(session, TPMA_SESSION.CONTINUESESSION | TPMA_SESSION.AUDIT)
secret = os.urandom(48)
relay.clear()
esys.hash(secret, TPM2_ALG.SHA256, ESYS_TR.RH_NULL, session1=session)
assert relay.seen(secret), "control: data in clear without decrypt"
esys.flush_context(session)
esys.close()
print("ok")
