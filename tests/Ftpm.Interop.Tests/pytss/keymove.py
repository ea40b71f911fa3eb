"""TPM2_Duplicate, TPM2_Rewrap and TPM2_Import through tpm2-pytss (tpm2-tools has no rewrap): a duplicable
ECDSA key (policy: PolicyCommandCode(TPM2_Duplicate)) goes to parent A under an outer wrapper, is rewrapped
to parent B, to no parent and back, imported under each and signs; a key whose policy is
PolicyDuplicationSelect(parent A) goes to A only; an encryptedDuplication key leaves only
under both wrappers. The response codes are the reference's (the same script passes against swtpm).
Usage: python3 keymove.py TCTI -- prints 'ok' at the end; any failure raises."""
import hashlib
import os
import sys

from tpm2_pytss import TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_CC, TPM2_RC, TPM2_SE, TPMA_OBJECT
from tpm2_pytss.types import (TPM2B_DATA, TPM2B_DIGEST, TPM2B_ENCRYPTED_SECRET, TPM2B_PRIVATE, TPM2B_PUBLIC,
                              TPMT_SIG_SCHEME, TPMT_SYM_DEF, TPMT_SYM_DEF_OBJECT, TPMT_TK_HASHCHECK)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import connect, expect_rc, sensitive  # noqa: E402

esys = connect(sys.argv[1])

RC_P, RC_H = 0x040, 0x000
def p(n): return RC_P + (n << 8)
def h(n): return RC_H + (n << 8)

NULL_SYM = TPMT_SYM_DEF_OBJECT(algorithm=TPM2_ALG.NULL)
AES = TPMT_SYM_DEF_OBJECT(algorithm=TPM2_ALG.AES)
AES.keyBits.aes = 128
AES.mode.aes = TPM2_ALG.CFB
STORAGE = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH \
    | TPMA_OBJECT.NODA | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT

# PolicyCommandCode(TPM2_Duplicate), computed here from Part 1's formula and checked against a trial session.
policy = hashlib.sha256(bytes(32) + (0x16C).to_bytes(4, "big") + (0x14B).to_bytes(4, "big")).digest()
trial = esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.TRIAL, TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), TPM2_ALG.SHA256)
esys.policy_command_code(trial, TPM2_CC.Duplicate)
assert bytes(esys.policy_get_digest(trial)) == policy
esys.flush_context(trial)


def dup_session():
    s = esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.POLICY, TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), TPM2_ALG.SHA256)
    esys.policy_command_code(s, TPM2_CC.Duplicate)
    return s


def duplicate(expected, obj, new_parent, key, sym):
    """TPM2_Duplicate in a fresh PolicyCommandCode(TPM2_Duplicate) session, flushed afterwards; with an
    expected code, requires the command to fail with it."""
    s = dup_session()
    try:
        if expected is None:
            return esys.duplicate(obj, new_parent, TPM2B_DATA(key), sym, session1=s)
        expect_rc(expected, esys.duplicate, obj, new_parent, TPM2B_DATA(key), sym, session1=s)
    finally:
        try:
            esys.flush_context(s)
        except TSS2_Exception:
            pass


def primary(template):
    handle, public, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse(template, objectAttributes=STORAGE))
    return handle


def duplicable(parent, extra=0):
    attrs = TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT | extra
    template = TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=attrs)
    template.publicArea.authPolicy = TPM2B_DIGEST(policy)
    priv, pub, _, _, _ = esys.create(parent, sensitive(), template)
    return esys.load(parent, priv, pub), pub


def import_and_sign(parent, pub, dup, seed, key=b"", sym=NULL_SYM):
    priv = esys.import_(parent, TPM2B_DATA(key), pub, dup, seed, sym)
    handle = esys.load(parent, priv, pub)
    scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.ECDSA)
    scheme.details.any.hashAlg = TPM2_ALG.SHA256
    esys.sign(handle, TPM2B_DIGEST(hashlib.sha256(b"moved").digest()), scheme, TPMT_TK_HASHCHECK(tag=0x8024, hierarchy=0x40000007))
    esys.flush_context(handle)


source = primary("ecc256:aes128cfb")
key, pub = duplicable(source)
name = esys.tr_get_name(key)
a = primary("ecc256:aes128cfb")

# --- Rewrap: A -> B, A -> none, none -> A ------------------------------------------------------------------
_, dup_a, seed_a = duplicate(None, key, a, b"", NULL_SYM)
esys.flush_context(key)
esys.flush_context(source)
b = primary("rsa2048:aes128cfb")

expect_rc(TPM2_RC.HANDLE + h(1), esys.rewrap, a, b, dup_a, name, TPM2B_ENCRYPTED_SECRET(b""))
expect_rc(TPM2_RC.HANDLE + h(1), esys.rewrap, ESYS_TR.RH_NULL, b, dup_a, name, seed_a)
wrong = bytearray(bytes(name))
wrong[-1] ^= 1
expect_rc(TPM2_RC.INTEGRITY + p(1), esys.rewrap, a, b, dup_a, bytes(wrong), seed_a)

dup_b, seed_b = esys.rewrap(a, b, dup_a, name, seed_a)
assert len(bytes(seed_b)) == 256, "an RSA new parent gets an OAEP block"
import_and_sign(b, pub, dup_b, seed_b)
# The outer wrapper is bound to its parent: A's seed (an ECC point) is no RSA block for B.
expect_rc(TPM2_RC.SIZE + p(4), esys.import_, b, TPM2B_DATA(b""), pub, dup_a, seed_a, NULL_SYM)

bare, no_seed = esys.rewrap(a, ESYS_TR.RH_NULL, dup_a, name, seed_a)
assert len(bytes(no_seed)) == 0
import_and_sign(b, pub, bare, no_seed)
back, seed_back = esys.rewrap(ESYS_TR.RH_NULL, a, bare, name, TPM2B_ENCRYPTED_SECRET(b""))
import_and_sign(a, pub, back, seed_back)
esys.flush_context(b)

# --- PolicyDuplicationSelect (includeObject NO): the key may go to parent A only -----------------------
a_name = bytes(esys.tr_get_name(a))
select_policy = hashlib.sha256(bytes(32) + (0x188).to_bytes(4, "big") + a_name + b"\x00").digest()
source = primary("ecc256:aes128cfb")
attrs = TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT
template = TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=attrs)
template.publicArea.authPolicy = TPM2B_DIGEST(select_policy)
priv, sel_pub, _, _, _ = esys.create(source, sensitive(), template)
sel_key = esys.load(source, priv, sel_pub)
sel_name = bytes(esys.tr_get_name(sel_key))


def select_session(parent_name):
    s = esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.POLICY, TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), TPM2_ALG.SHA256)
    esys.policy_duplication_select(s, sel_name, parent_name, False)
    return s


# A session selecting another parent has another digest (POLICY_FAIL at session 1); naming parent A but
# duplicating to TPM_RH_NULL breaks the nameHash (POLICY_FAIL too).
for parent_name, target in ((b"\x00\x0b" + hashlib.sha256(b"elsewhere").digest(), a), (a_name, ESYS_TR.RH_NULL)):
    s = select_session(parent_name)
    expect_rc(TPM2_RC.POLICY_FAIL + 0x900, esys.duplicate, sel_key, target, TPM2B_DATA(b""), NULL_SYM, session1=s)
    esys.flush_context(s)
s = select_session(a_name)
_, sel_dup, sel_seed = esys.duplicate(sel_key, a, TPM2B_DATA(b""), NULL_SYM, session1=s)
esys.flush_context(sel_key)
esys.flush_context(source)
import_and_sign(a, sel_pub, sel_dup, sel_seed)

# --- encryptedDuplication ----------------------------------------------------------------------------------
source = primary("ecc256:aes128cfb")
key, pub = duplicable(source, TPMA_OBJECT.ENCRYPTEDDUPLICATION)
duplicate(TPM2_RC.SYMMETRIC + p(2), key, a, b"", NULL_SYM)
duplicate(TPM2_RC.HIERARCHY + h(2), key, ESYS_TR.RH_NULL, b"", AES)
inner, dup, seed = duplicate(None, key, a, b"", AES)
assert len(bytes(inner)) == 16, "the TPM made the inner key"
ed_name = esys.tr_get_name(key)
esys.flush_context(key)
esys.flush_context(source)
expect_rc(TPM2_RC.ATTRIBUTES + p(1), esys.import_, a, TPM2B_DATA(b""), pub, dup, seed, NULL_SYM)
expect_rc(TPM2_RC.ATTRIBUTES + p(4), esys.import_, a, inner, pub, dup, TPM2B_ENCRYPTED_SECRET(b""), AES)
# Rewrap to no parent removes the outer wrapper, which an encryptedDuplication object cannot lose.
bare, _ = esys.rewrap(a, ESYS_TR.RH_NULL, dup, ed_name, seed)
expect_rc(TPM2_RC.ATTRIBUTES + p(4), esys.import_, a, inner, pub, bare, TPM2B_ENCRYPTED_SECRET(b""), AES)
import_and_sign(a, pub, dup, seed, bytes(inner), AES)
# Under an encryptedDuplication parent a duplicable child must be encryptedDuplication too (Part 1, 27.2).
parent_attrs = TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT \
    | TPMA_OBJECT.ENCRYPTEDDUPLICATION
template = TPM2B_PUBLIC.parse("ecc256:aes128cfb", objectAttributes=parent_attrs)
template.publicArea.authPolicy = TPM2B_DIGEST(policy)
priv, ppub, _, _, _ = esys.create(a, sensitive(), template)
ed_parent = esys.load(a, priv, ppub)
expect_rc(TPM2_RC.ATTRIBUTES + p(2), esys.create, ed_parent, sensitive(),
          TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT))
esys.flush_context(ed_parent)
esys.flush_context(a)
print("ok")
