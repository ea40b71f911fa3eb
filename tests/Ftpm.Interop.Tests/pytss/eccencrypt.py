"""TPM2_ECC_Encrypt and TPM2_ECC_Decrypt (Part 3, 14.8/14.9) against a TPM through tpm2-pytss. pytss 1.2 and
ESAPI 3.2 have no ECC_Encrypt, so the two commands go through the TCTI that ESAPI uses (its transmit/receive),
around an ESAPI LoadExternal of a P-256 key made here by the cryptography module. Everything is checked here
with Python integers: the TPM's ciphertext decrypts here with the private key (C1 on the curve, KDF2 mask, C3),
a ciphertext made here with a random k decrypts in the TPM, and a changed C3 is TPM_RC_VALUE.
Usage: python3 eccencrypt.py TCTI -- prints 'ok'; 'unsupported' when the TPM answers TPM_RC_COMMAND_CODE."""
import hashlib
import os
import secrets
import struct
import sys

from cryptography.hazmat.primitives.asymmetric import ec
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_ECC, TPMA_OBJECT
from tpm2_pytss.types import TPM2B_ECC_PARAMETER, TPM2B_PUBLIC, TPM2B_SENSITIVE, TPMT_SENSITIVE

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import connect  # noqa: E402

P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
A = P - 3
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
     0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def add(q, r):
    if q is None:
        return r
    if r is None:
        return q
    if q[0] == r[0] and (q[1] + r[1]) % P == 0:
        return None
    if q == r:
        slope = (3 * q[0] * q[0] + A) * pow(2 * q[1], -1, P) % P
    else:
        slope = (r[1] - q[1]) * pow(r[0] - q[0], -1, P) % P
    x = (slope * slope - q[0] - r[0]) % P
    return x, (slope * (q[0] - x) - q[1]) % P


def mul(k, q):
    result = None
    while k:
        if k & 1:
            result = add(result, q)
        q = add(q, q)
        k >>= 1
    return result


def on_curve(q):
    return (q[1] * q[1] - q[0] ** 3 - A * q[0] - B) % P == 0


def b32(v):
    return v.to_bytes(32, "big")


def kdf2(z, size):
    out, counter = b"", 1
    while len(out) < size:
        out += hashlib.sha256(z + struct.pack(">I", counter)).digest()
        counter += 1
    return out[:size]


def sized(b):
    return struct.pack(">H", len(b)) + b


def point(q):
    return sized(sized(b32(q[0])) + sized(b32(q[1])))


KDF2_SHA256 = struct.pack(">HH", 0x0021, 0x000B)


def command(tcti, code, handles, params, password_session):
    body = b"".join(struct.pack(">I", h) for h in handles)
    if password_session:
        area = struct.pack(">IH", 0x40000009, 0) + b"\x01" + sized(b"")
        body += struct.pack(">I", len(area)) + area
    body += params
    tag = 0x8002 if password_session else 0x8001
    tcti.transmit(struct.pack(">HII", tag, 10 + len(body), code) + body)
    response = bytes(tcti.receive())
    rc = struct.unpack(">I", response[6:10])[0]
    rest = response[10:]
    if password_session and rc == 0:
        size = struct.unpack(">I", rest[:4])[0]
        rest = rest[4:4 + size]
    return rc, rest


def read_sized(b, at):
    n = struct.unpack(">H", b[at:at + 2])[0]
    return b[at + 2:at + 2 + n], at + 2 + n


esys = connect(sys.argv[1])
tcti = esys.tcti

key = ec.generate_private_key(ec.SECP256R1())
d = key.private_numbers().private_value
Q = (key.public_key().public_numbers().x, key.public_key().public_numbers().y)
public = TPM2B_PUBLIC.parse("ecc256:null:null", objectAttributes=TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.DECRYPT)
public.publicArea.parameters.eccDetail.curveID = TPM2_ECC.NIST_P256
public.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG.NULL
public.publicArea.unique.ecc.x = TPM2B_ECC_PARAMETER(b32(Q[0]))
public.publicArea.unique.ecc.y = TPM2B_ECC_PARAMETER(b32(Q[1]))
sensitive = TPM2B_SENSITIVE(sensitiveArea=TPMT_SENSITIVE(sensitiveType=TPM2_ALG.ECC))
sensitive.sensitiveArea.sensitive.ecc = TPM2B_ECC_PARAMETER(b32(d))
handle = esys.load_external(public, sensitive, ESYS_TR.RH_NULL)
tpm_handle = esys.tr_get_tpm_handle(handle)

# TPM2_ECC_Encrypt: decrypt here.
message = secrets.token_bytes(77)
rc, out = command(tcti, 0x199, [tpm_handle], sized(message) + KDF2_SHA256, False)
if rc == 0x143:
    print("unsupported")
    sys.exit(0)
assert rc == 0, hex(rc)
c1, at = read_sized(out, 0)
c1x, i = read_sized(c1, 0)
c1y, _ = read_sized(c1, i)
c2, at = read_sized(out, at)
c3, at = read_sized(out, at)
assert at == len(out) and len(c1x) == 32 and len(c1y) == 32 and len(c2) == len(message) and len(c3) == 32
C1 = (int.from_bytes(c1x, "big"), int.from_bytes(c1y, "big"))
assert on_curve(C1), "C1 is not on P-256"
x2, y2 = mul(d, C1)
recovered = bytes(a ^ b for a, b in zip(c2, kdf2(b32(x2) + b32(y2), len(c2))))
assert recovered == message, "the TPM's ciphertext does not decrypt here"
assert hashlib.sha256(b32(x2) + recovered + b32(y2)).digest() == c3, "C3 is not H(x2 || M || y2)"

# TPM2_ECC_Decrypt of a ciphertext made here.
k = secrets.randbelow(N - 1) + 1
K = mul(k, G)
x2, y2 = mul(k, Q)
message = b"made outside the TPM, " + secrets.token_bytes(40)
c2 = bytes(a ^ b for a, b in zip(message, kdf2(b32(x2) + b32(y2), len(message))))
c3 = hashlib.sha256(b32(x2) + message + b32(y2)).digest()
rc, out = command(tcti, 0x19A, [tpm_handle], point(K) + sized(c2) + sized(c3) + KDF2_SHA256, True)
assert rc == 0, hex(rc)
plain, at = read_sized(out, 0)
assert plain == message, "the TPM did not recover the message"
bad = bytes([c3[0] ^ 1]) + c3[1:]
rc, _ = command(tcti, 0x19A, [tpm_handle], point(K) + sized(c2) + sized(bad) + KDF2_SHA256, True)
assert rc == 0x084, hex(rc)
esys.flush_context(handle)
print("ok")
