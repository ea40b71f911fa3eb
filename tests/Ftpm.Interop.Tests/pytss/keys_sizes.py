"""Every RSA size and NIST curve ftpm reports, through tpm2-pytss (ESAPI, password sessions), checked with
Python's `cryptography` (OpenSSL) outside the TPM: RSA 1024/2048/3072/4096 children sign RSASSA and RSAPSS
(verified outside), decrypt OAEP data encrypted outside, and the same primary template gives the same key
twice; ECC P-256/384/521 children sign ECDSA (verified outside) and ECDH_ZGen equals the ECDH done
outside. The sizes are taken from TPM_CAP_ALGS/TPM_CAP_ECC_CURVES where possible, so a size the TPM
reports but cannot use fails here.
Usage: python3 keys_sizes.py TCTI -- prints 'ok'."""
import hashlib
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from tpm2_pytss import ESAPI, TCTILdr
from tpm2_pytss.constants import TPM2_ALG, TPM2_CAP, TPM2_ECC, TPM2_ST, TPM2_RH, TPM2_SU, TPMA_OBJECT
from tpm2_pytss.types import (TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPMS_SENSITIVE_CREATE, TPM2B_AUTH,
                              TPM2B_SENSITIVE_DATA, TPMT_SIG_SCHEME, TPMT_TK_HASHCHECK, TPMT_RSA_DECRYPT,
                              TPM2B_ECC_POINT, TPMS_ECC_POINT, TPM2B_ECC_PARAMETER)

esys = ESAPI(TCTILdr.parse(sys.argv[1]))
esys.startup(TPM2_SU.CLEAR)
BASE = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.NODA | TPMA_OBJECT.SENSITIVEDATAORIGIN
STORAGE = BASE | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT
SENSITIVE = TPM2B_SENSITIVE_CREATE(TPMS_SENSITIVE_CREATE(userAuth=TPM2B_AUTH(b""), data=TPM2B_SENSITIVE_DATA(b"")))
NULL_TICKET = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)
MESSAGE = b"every size"
DIGEST = hashlib.sha256(MESSAGE).digest()

srk, _, _, _, _ = esys.create_primary(SENSITIVE, TPM2B_PUBLIC.parse("ecc256:aes128cfb", objectAttributes=STORAGE))


def child(template, attributes):
    priv, pub, _, _, _ = esys.create(srk, SENSITIVE, TPM2B_PUBLIC.parse(template, objectAttributes=attributes))
    return esys.load(srk, priv, pub), pub


def scheme(alg):
    s = TPMT_SIG_SCHEME(scheme=alg)
    s.details.any.hashAlg = TPM2_ALG.SHA256
    return s


# RSA: the sizes this TPM implements (TPM_PT_... has no list; TestParms says which work, 512 and 2000 must not).
_, algs = esys.get_capability(TPM2_CAP.ALGS, TPM2_ALG.RSA, 1)
assert algs.data.algorithms[0].alg == TPM2_ALG.RSA
for bits in (1024, 2048, 3072, 4096):
    key, pub = child(f"rsa{bits}:null:null", BASE | TPMA_OBJECT.SIGN_ENCRYPT | TPMA_OBJECT.DECRYPT)
    n = int.from_bytes(bytes(pub.publicArea.unique.rsa), "big")
    assert n.bit_length() == bits, (bits, n.bit_length())
    outside = rsa.RSAPublicNumbers(65537, n).public_key()

    sig = esys.sign(key, DIGEST, scheme(TPM2_ALG.RSASSA), NULL_TICKET)
    outside.verify(bytes(sig.signature.rsassa.sig), MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    sig = esys.sign(key, DIGEST, scheme(TPM2_ALG.RSAPSS), NULL_TICKET)
    # Part 1, B.7: the TPM's PSS salt is as long as allowed up to the digest size; AUTO accepts any.
    outside.verify(bytes(sig.signature.rsapss.sig), MESSAGE,
                   padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO), hashes.SHA256())

    oaep = TPMT_RSA_DECRYPT(scheme=TPM2_ALG.OAEP)
    oaep.details.oaep.hashAlg = TPM2_ALG.SHA256
    secret = bytes(range(32))
    cipher = outside.encrypt(secret, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    assert bytes(esys.rsa_decrypt(key, cipher, oaep, None)) == secret
    esys.flush_context(key)
    print(f"rsa{bits}: sign, pss, oaep ok", flush=True)

# The same RSA primary template twice gives the same key (derived from the owner seed, then the cache).
for bits in (1024, 3072):
    moduli = []
    for _ in range(2):
        h, pub, _, _, _ = esys.create_primary(SENSITIVE, TPM2B_PUBLIC.parse(f"rsa{bits}:aes128cfb", objectAttributes=STORAGE))
        moduli.append(bytes(pub.publicArea.unique.rsa))
        esys.flush_context(h)
    assert moduli[0] == moduli[1] and len(moduli[0]) * 8 == bits
    print(f"rsa{bits} primary deterministic", flush=True)

# ECC: every NIST curve the TPM lists.
CURVES = {TPM2_ECC.NIST_P256: ("ecc256", ec.SECP256R1(), 32), TPM2_ECC.NIST_P384: ("ecc384", ec.SECP384R1(), 48),
          TPM2_ECC.NIST_P521: ("ecc521", ec.SECP521R1(), 66)}
_, listed = esys.get_capability(TPM2_CAP.ECC_CURVES, 0, 64)
listed = set(int(c) for c in listed.data.eccCurves)
assert set(int(c) for c in CURVES).issubset(listed), listed
for curve_id, (name, curve, size) in CURVES.items():
    key, pub = child(f"{name}:ecdsa-sha256", BASE | TPMA_OBJECT.SIGN_ENCRYPT)
    point = pub.publicArea.unique.ecc
    x, y = int.from_bytes(bytes(point.x), "big"), int.from_bytes(bytes(point.y), "big")
    outside = ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    sig = esys.sign(key, DIGEST, scheme(TPM2_ALG.ECDSA), NULL_TICKET)
    r = int.from_bytes(bytes(sig.signature.ecdsa.signatureR), "big")
    s = int.from_bytes(bytes(sig.signature.ecdsa.signatureS), "big")
    outside.verify(utils.encode_dss_signature(r, s), MESSAGE, ec.ECDSA(hashes.SHA256()))
    esys.flush_context(key)

    key, pub = child(f"{name}:ecdh-sha256", BASE | TPMA_OBJECT.DECRYPT)
    point = pub.publicArea.unique.ecc
    tpm_public = ec.EllipticCurvePublicNumbers(int.from_bytes(bytes(point.x), "big"),
                                               int.from_bytes(bytes(point.y), "big"), curve).public_key()
    mine = ec.generate_private_key(curve)
    numbers = mine.public_key().public_numbers()
    z = esys.ecdh_zgen(key, TPM2B_ECC_POINT(TPMS_ECC_POINT(x=TPM2B_ECC_PARAMETER(numbers.x.to_bytes(size, "big")),
                                                               y=TPM2B_ECC_PARAMETER(numbers.y.to_bytes(size, "big")))))
    assert bytes(z.point.x) == mine.exchange(ec.ECDH(), tpm_public), name
    esys.flush_context(key)
    print(f"{name}: ecdsa, ecdh ok", flush=True)

print("ok")
