"""Encryption primitives through tpm2-pytss (ESAPI, password sessions): RSA_Encrypt/RSA_Decrypt (OAEP with
and without a label, RSAES, and data openssl encrypted to the exported key), EncryptDecrypt2 (AES-CFB and
CBC round trips with IV chaining), HMAC (against Python's hmac), ECDH_KeyGen/ECDH_ZGen agreement.
Usage: python3 keys_crypto.py TCTI WORKDIR -- prints 'ok'."""
import hashlib
import hmac
import os
import subprocess
import sys

from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_RC, TPM2_SU, TPMA_OBJECT
from tpm2_pytss.types import (TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPMS_SENSITIVE_CREATE, TPM2B_SENSITIVE_DATA,
                              TPM2B_AUTH, TPMT_RSA_DECRYPT, TPM2B_ECC_POINT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import sensitive  # noqa: E402

esys = ESAPI(TCTILdr.parse(sys.argv[1]))
work = sys.argv[2]
esys.startup(TPM2_SU.CLEAR)
BASE = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.NODA
STORAGE = BASE | TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT


def child(parent, template, attributes, data=b""):
    priv, pub, _, _, _ = esys.create(parent, sensitive(data=data), TPM2B_PUBLIC.parse(template, objectAttributes=attributes))
    return esys.load(parent, priv, pub), pub


srk, _, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse("ecc256:aes128cfb", objectAttributes=STORAGE))

# RSA: OAEP round trips, a label, and data openssl encrypted to the exported public key.
rsa, pub = child(srk, "rsa2048:null:null", BASE | TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.DECRYPT)
oaep = TPMT_RSA_DECRYPT(scheme=TPM2_ALG.OAEP)
oaep.details.oaep.hashAlg = TPM2_ALG.SHA256
for label in (None, b"label"):
    c = esys.rsa_encrypt(rsa, b"rsa message", oaep, label)
    assert bytes(esys.rsa_decrypt(rsa, c, oaep, label)) == b"rsa message"
c = esys.rsa_encrypt(rsa, b"rsa message", oaep, b"label")
try:
    esys.rsa_decrypt(rsa, c, oaep, b"other")
    raise AssertionError("wrong label decrypted")
except TSS2_Exception as e:
    assert e.rc == TPM2_RC.VALUE + TPM2_RC.P + TPM2_RC.RC1, hex(e.rc)
rsaes = TPMT_RSA_DECRYPT(scheme=TPM2_ALG.RSAES)
assert bytes(esys.rsa_decrypt(rsa, esys.rsa_encrypt(rsa, b"v1.5", rsaes), rsaes)) == b"v1.5"
pem = os.path.join(work, "rsa.pem")
open(pem, "wb").write(pub.publicArea.to_pem())
open(os.path.join(work, "plain"), "wb").write(b"from openssl")
subprocess.run(["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", pem, "-in", os.path.join(work, "plain"),
                "-out", os.path.join(work, "cipher"), "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"],
               check=True, capture_output=True)
assert bytes(esys.rsa_decrypt(rsa, open(os.path.join(work, "cipher"), "rb").read(), oaep)) == b"from openssl"
esys.flush_context(rsa)

# AES (SYMCIPHER): round trips in CFB and CBC, in two pieces chained through ivOut.
aes, _ = child(srk, "aes128cfb", BASE | TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.DECRYPT | TPMA_OBJECT.SIGN_ENCRYPT)
iv = bytes(range(16))
data = os.urandom(64)
whole, _ = esys.encrypt_decrypt_2(aes, False, TPM2_ALG.CFB, iv, data)
first, iv2 = esys.encrypt_decrypt_2(aes, False, TPM2_ALG.CFB, iv, data[:32])
second, _ = esys.encrypt_decrypt_2(aes, False, TPM2_ALG.CFB, iv2, data[32:])
assert bytes(first) + bytes(second) == bytes(whole) and bytes(whole) != data
back, _ = esys.encrypt_decrypt_2(aes, True, TPM2_ALG.CFB, iv, whole)
assert bytes(back) == data
esys.flush_context(aes)
aes, _ = child(srk, "aes256cbc", BASE | TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.DECRYPT | TPMA_OBJECT.SIGN_ENCRYPT)
c, _ = esys.encrypt_decrypt_2(aes, False, TPM2_ALG.NULL, iv, data)
assert bytes(esys.encrypt_decrypt_2(aes, True, TPM2_ALG.NULL, iv, c)[0]) == data
esys.flush_context(aes)

# HMAC with an imported key value, checked against Python's hmac.
key_bytes = b"k" * 32
hkey, _ = child(srk, "hmac:sha256", BASE | TPMA_OBJECT.SIGN_ENCRYPT, key_bytes)
mac = esys.hmac(hkey, b"hmac data", TPM2_ALG.NULL)
assert bytes(mac) == hmac.new(key_bytes, b"hmac data", hashlib.sha256).digest()
esys.flush_context(hkey)

# ECDH: KeyGen with the public key and ZGen with the private key agree on the point.
ecdh, _ = child(srk, "ecc256:ecdh-sha256:null", BASE | TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.DECRYPT)
z, ephemeral = esys.ecdh_key_gen(ecdh)
z2 = esys.ecdh_zgen(ecdh, ephemeral)
assert bytes(z.point.x) == bytes(z2.point.x) and bytes(z.point.y) == bytes(z2.point.y)
esys.flush_context(ecdh)
esys.flush_context(srk)
print("ok")
