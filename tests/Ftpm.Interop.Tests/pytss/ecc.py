"""The ECC issue through tpm2-pytss (ESAPI, password sessions), for what tpm2-tools 5.4 cannot reach: BN P-256
keys (TPM_CAP_ECC_CURVES, ECC_Parameters, ECDSA signatures checked here with plain integer arithmetic and by
VerifySignature, ECSCHNORR, ECDAA after Commit, two-party ECDH through ZGen_2Phase) and ECMQV between two
P-256 keys. Every point relation is checked here with Python integers, independently of ftpm.
Usage: python3 ecc.py TCTI -- prints 'ok'."""
import hashlib
import sys

from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_CAP, TPM2_ECC, TPM2_RC, TPM2_RH, TPM2_SU, TPM2_ST, TPMA_OBJECT
from tpm2_pytss.types import (TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPMS_SENSITIVE_CREATE, TPM2B_AUTH,
                              TPM2B_SENSITIVE_DATA, TPM2B_ECC_POINT, TPMS_ECC_POINT, TPMT_SIG_SCHEME,
                              TPMT_TK_HASHCHECK, TPMT_PUBLIC_PARMS)
import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import expect_rc, sensitive  # noqa: E402

esys = ESAPI(TCTILdr.parse(sys.argv[1]))
esys.startup(TPM2_SU.CLEAR)
BASE = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.NODA
        | TPMA_OBJECT.SENSITIVEDATAORIGIN)

# TPM_ECC_BN_P256 (TCG Algorithm Registry): y^2 = x^3 + 3 over p, G = (1, 2), order n.
BN_P = 0xFFFFFFFFFFFCF0CD46E5F25EEE71A49F0CDC65FB12980A82D3292DDBAED33013
BN_N = 0xFFFFFFFFFFFCF0CD46E5F25EEE71A49E0CDC65FB1299921AF62D536CD10B500D
P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
          0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


class Curve:
    """Affine short-Weierstrass arithmetic (None is the identity)."""
    def __init__(self, p, a, b, g, n):
        self.p, self.a, self.b, self.g, self.n = p, a, b, g, n

    def on_curve(self, q):
        x, y = q
        return (y * y - x * x * x - self.a * x - self.b) % self.p == 0

    def add(self, q, r):
        if q is None:
            return r
        if r is None:
            return q
        p = self.p
        if q[0] == r[0] and (q[1] + r[1]) % p == 0:
            return None
        if q == r:
            l = (3 * q[0] * q[0] + self.a) * pow(2 * q[1], -1, p) % p
        else:
            l = (r[1] - q[1]) * pow(r[0] - q[0], -1, p) % p
        x = (l * l - q[0] - r[0]) % p
        return x, (l * (q[0] - x) - q[1]) % p

    def mul(self, k, q):
        result = None
        while k:
            if k & 1:
                result = self.add(result, q)
            q = self.add(q, q)
            k >>= 1
        return result


BN = Curve(BN_P, 0, 3, (1, 2), BN_N)
P256 = Curve(P256_P, P256_P - 3, 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B, P256_G, P256_N)


def num(b):
    return int.from_bytes(bytes(b), "big")


def point(p):
    return num(p.x), num(p.y)


def primary(template, attributes, curve=None, ecdaa=False):
    pub = TPM2B_PUBLIC.parse(template, objectAttributes=attributes)
    if curve is not None:
        pub.publicArea.parameters.eccDetail.curveID = curve
    if ecdaa:
        # (pytss's template parser has no spelling for ECDAA.)
        pub.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG.ECDAA
        pub.publicArea.parameters.eccDetail.scheme.details.ecdaa.hashAlg = TPM2_ALG.SHA256
        pub.publicArea.parameters.eccDetail.scheme.details.ecdaa.count = 0
    handle, out, _, _, _ = esys.create_primary(sensitive(), pub)
    return handle, point(out.publicArea.unique.ecc)


NULL_TICKET = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)  # a TPM handle, not an ESYS_TR: the TPM checks it (TPMI_RH_HIERARCHY)


def scheme(alg, count=None):
    s = TPMT_SIG_SCHEME(scheme=alg)
    if alg == TPM2_ALG.ECDAA:
        s.details.ecdaa.hashAlg = TPM2_ALG.SHA256
        s.details.ecdaa.count = count
    elif alg != TPM2_ALG.NULL:
        s.details.any.hashAlg = TPM2_ALG.SHA256
    return s


# TPM_CAP_ECC_CURVES lists BN P-256 beside the NIST curves.
_, caps = esys.get_capability(TPM2_CAP.ECC_CURVES, 0, 10)
assert list(caps.data.eccCurves) == [TPM2_ECC.NIST_P256, TPM2_ECC.NIST_P384, TPM2_ECC.NIST_P521, TPM2_ECC.BN_P256], \
    list(caps.data.eccCurves)

# ECC_Parameters of BN P-256: the published constants.
d = esys.ecc_parameters(TPM2_ECC.BN_P256)
assert d.curveID == TPM2_ECC.BN_P256 and d.keySize == 256
assert (num(d.p), num(d.a), num(d.b), num(d.gX), num(d.gY), num(d.n), num(d.h)) == (BN_P, 0, 3, 1, 2, BN_N, 1)
assert BN.mul(BN_N, BN.g) is None

# TestParms: BN P-256 with ECSCHNORR is supported; BN P-638 is not (TPM_RC_CURVE + P1).
parms = TPMT_PUBLIC_PARMS(type=TPM2_ALG.ECC)
parms.parameters.eccDetail.symmetric.algorithm = TPM2_ALG.NULL
parms.parameters.eccDetail.scheme.scheme = TPM2_ALG.ECSCHNORR
parms.parameters.eccDetail.scheme.details.ecschnorr.hashAlg = TPM2_ALG.SHA256
parms.parameters.eccDetail.curveID = TPM2_ECC.BN_P256
parms.parameters.eccDetail.kdf.scheme = TPM2_ALG.NULL
esys.test_parms(parms)
parms.parameters.eccDetail.curveID = TPM2_ECC.BN_P638
expect_rc(TPM2_RC.CURVE + TPM2_RC.P + TPM2_RC.RC1, esys.test_parms, parms)

digest = hashlib.sha256(b"bn p-256 message").digest()
other = hashlib.sha256(b"another message").digest()

# BN P-256 ECDSA: the signature satisfies the ECDSA equation; VerifySignature accepts it (with a ticket)
# and refuses it for another digest.
key, q = primary("ecc256:ecdsa-sha256", BASE | TPMA_OBJECT.SIGN_ENCRYPT, TPM2_ECC.BN_P256)
assert BN.on_curve(q)
sig = esys.sign(key, digest, scheme(TPM2_ALG.NULL), NULL_TICKET)
r, s = num(sig.signature.ecdsa.signatureR), num(sig.signature.ecdsa.signatureS)
w = pow(s, -1, BN_N)
x = BN.add(BN.mul(num(digest) * w % BN_N, BN.g), BN.mul(r * w % BN_N, q))
assert x[0] % BN_N == r
ticket = esys.verify_signature(key, digest, sig)
assert ticket.tag == TPM2_ST.VERIFIED and ticket.hierarchy == TPM2_RH.OWNER and ticket.digest.size == 32
expect_rc(TPM2_RC.SIGNATURE + TPM2_RC.P + TPM2_RC.RC2, esys.verify_signature, key, other, sig)
esys.flush_context(key)

# BN P-256 ECSCHNORR: r = SHA256(x(s.G - r.Q) || digest), and VerifySignature accepts it.
key, q = primary("ecc256:ecschnorr-sha256", BASE | TPMA_OBJECT.SIGN_ENCRYPT, TPM2_ECC.BN_P256)
sig = esys.sign(key, digest, scheme(TPM2_ALG.NULL), NULL_TICKET)
assert sig.sigAlg == TPM2_ALG.ECSCHNORR
r, s = num(sig.signature.ecschnorr.signatureR), num(sig.signature.ecschnorr.signatureS)
e = BN.add(BN.mul(s, BN.g), BN.mul(BN_N - r, q))
assert num(hashlib.sha256(e[0].to_bytes(32, "big") + digest).digest()) == r
esys.verify_signature(key, digest, sig)
expect_rc(TPM2_RC.SIGNATURE + TPM2_RC.P + TPM2_RC.RC2, esys.verify_signature, key, other, sig)
esys.flush_context(key)

# BN P-256 ECDAA: Commit gives E = r.G; Sign with that count gives (nonceK, s) with s.G = E + T.Q,
# T = SHA256(nonceK || digest) mod n; the count works once (then TPM_RC_VALUE).
key, q = primary("ecc256:ecdsa-sha256", BASE | TPMA_OBJECT.SIGN_ENCRYPT, TPM2_ECC.BN_P256, ecdaa=True)
empty = TPM2B_ECC_POINT(TPMS_ECC_POINT())
k, l, e, counter = esys.commit(key, empty, b"", b"")
assert k.point.x.size == 0 and l.point.x.size == 0
sig = esys.sign(key, digest, scheme(TPM2_ALG.ECDAA, counter), NULL_TICKET)
nonce, s = bytes(sig.signature.ecdaa.signatureR), num(sig.signature.ecdaa.signatureS)
t = num(hashlib.sha256(nonce + digest).digest()) % BN_N
assert BN.mul(s, BN.g) == BN.add(point(e.point), BN.mul(t, q))
expect_rc(TPM2_RC.VALUE, esys.sign, key, digest, scheme(TPM2_ALG.ECDAA, counter), NULL_TICKET)
esys.flush_context(key)

# Two-party key exchange with ZGen_2Phase: each party has a static key and an EC_Ephemeral point.
def exchange(curve_id, curve, alg):
    a, qa = primary("ecc256:null:null", BASE | TPMA_OBJECT.DECRYPT, curve_id)
    b, qb = primary("ecc256:null:null", BASE | TPMA_OBJECT.DECRYPT, curve_id)
    ea, ca = esys.ec_ephemeral(curve_id)
    eb, cb = esys.ec_ephemeral(curve_id)
    assert curve.on_curve(point(ea.point)) and cb == ca + 1

    def pt(xy):
        return TPM2B_ECC_POINT(TPMS_ECC_POINT(x=xy[0].to_bytes(32, "big"), y=xy[1].to_bytes(32, "big")))
    za1, za2 = esys.zgen_2_phase(a, pt(qb), eb, alg, ca)
    zb1, zb2 = esys.zgen_2_phase(b, pt(qa), ea, alg, cb)
    assert point(za1.point) == point(zb1.point) and curve.on_curve(point(za1.point))
    assert bytes(za2.point.x) == bytes(zb2.point.x)
    expect_rc(TPM2_RC.VALUE + TPM2_RC.P + TPM2_RC.RC4, esys.zgen_2_phase, a, pt(qb), eb, alg, ca)
    esys.flush_context(a)
    esys.flush_context(b)
    return za2


z2 = exchange(TPM2_ECC.BN_P256, BN, TPM2_ALG.ECDH)
assert z2.point.x.size == 32
z2 = exchange(TPM2_ECC.NIST_P256, P256, TPM2_ALG.ECMQV)
assert z2.point.x.size == 0 and z2.point.y.size == 0
print("ok")
