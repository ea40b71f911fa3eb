"""Drives NV indices of a live TPM through tpm2-pytss (ESAPI, password sessions) and checks the results
against values computed here. tpm2-tools 5.4 opens an HMAC session (TPM2_StartAuthSession) for every
tpm2_nv* tool but tpm2_nvreadpublic; until ftpm has sessions, the same commands are proven here.
Usage: python3 nv.py TCTI SCENARIO...  -- prints 'ok SCENARIO' for each; any failure raises."""
import hashlib
import sys

from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_CAP, TPM2_CC, TPM2_NT, TPM2_SE, TPM2_SU, TPMA_NV
from tpm2_pytss.types import TPM2B_NV_PUBLIC, TPMS_NV_PUBLIC, TPMT_SYM_DEF

OWNER_RW = TPMA_NV.OWNERREAD | TPMA_NV.OWNERWRITE


def nt(t):
    return t << TPMA_NV.TPM2_NT_SHIFT


def public(handle, attributes, size, alg=TPM2_ALG.SHA256, policy=b""):
    return TPM2B_NV_PUBLIC(nvPublic=TPMS_NV_PUBLIC(
        nvIndex=handle, nameAlg=alg, attributes=attributes, dataSize=size, authPolicy=policy))


def rc_of(call):
    """The response code a call fails with (0 when it succeeds)."""
    try:
        call()
        return 0
    except TSS2_Exception as e:
        return int(e.rc) & 0xFFF


def expect_rc(expected, call, what):
    rc = rc_of(call)
    assert rc == expected, f"{what}: rc {rc:#x}, expected {expected:#x}"


def define(esys, handle, attributes, size, auth=b"", alg=TPM2_ALG.SHA256, hierarchy=ESYS_TR.OWNER, policy=b""):
    return esys.nv_define_space(auth, public(handle, attributes, size, alg, policy), auth_handle=hierarchy)


def ordinary(esys):
    h = define(esys, 0x01500001, OWNER_RW, 32)
    _, name_before = esys.nv_read_public(h)
    esys.nv_write(h, b"hello ftpm", 0, ESYS_TR.OWNER)
    esys.nv_write(h, b"!", 10, ESYS_TR.OWNER)
    assert bytes(esys.nv_read(h, 11, 0, ESYS_TR.OWNER)) == b"hello ftpm!", "nv_read"
    pub, name = esys.nv_read_public(h)
    assert pub.nvPublic.attributes & TPMA_NV.WRITTEN, "written"
    assert pub.nvPublic.dataSize == 32, "dataSize"
    assert bytes(name) != bytes(name_before), "the Name changes with TPMA_NV_WRITTEN"
    # Name = nameAlg || SHA-256(TPMS_NV_PUBLIC)
    assert bytes(name)[2:] == hashlib.sha256(pub.nvPublic.marshal()).digest(), "name"
    esys.nv_undefine_space(h, ESYS_TR.OWNER)


def counter(esys):
    h = define(esys, 0x01500002, OWNER_RW | nt(TPM2_NT.COUNTER), 8)
    expect_rc(0x14A, lambda: esys.nv_read(h, 8, 0, ESYS_TR.OWNER), "read of an unwritten counter")
    for _ in range(3):
        esys.nv_increment(h, ESYS_TR.OWNER)
    value = int.from_bytes(bytes(esys.nv_read(h, 8, 0, ESYS_TR.OWNER)), "big")
    assert value == 3, f"counter {value}"
    expect_rc(0x082, lambda: esys.nv_write(h, bytes(8), 0, ESYS_TR.OWNER), "nv_write to a counter")


def bits(esys):
    h = define(esys, 0x01500003, OWNER_RW | nt(TPM2_NT.BITS), 8)
    esys.nv_set_bits(h, 0x5, ESYS_TR.OWNER)
    esys.nv_set_bits(h, 0x8000000000000010, ESYS_TR.OWNER)
    value = int.from_bytes(bytes(esys.nv_read(h, 8, 0, ESYS_TR.OWNER)), "big")
    assert value == 0x8000000000000015, f"bits {value:#x}"


def extend(esys):
    h = define(esys, 0x01500004, OWNER_RW | nt(TPM2_NT.EXTEND), 32)
    esys.nv_extend(h, b"first", ESYS_TR.OWNER)
    esys.nv_extend(h, b"second", ESYS_TR.OWNER)
    expected = hashlib.sha256(hashlib.sha256(bytes(32) + b"first").digest() + b"second").digest()
    assert bytes(esys.nv_read(h, 32, 0, ESYS_TR.OWNER)) == expected, "extend digest"


def password(esys):
    h = define(esys, 0x01500005, TPMA_NV.AUTHREAD | TPMA_NV.AUTHWRITE, 16, auth=b"secret")
    esys.tr_set_auth(h, b"secret")
    esys.nv_write(h, b"with its own pw", 0)
    assert bytes(esys.nv_read(h, 15, 0)) == b"with its own pw", "read with the index password"
    esys.tr_set_auth(h, b"wrong")
    # TPM_RC_AUTH_FAIL for session 1 (the index is DA-protected)
    expect_rc(0x98E, lambda: esys.nv_read(h, 15, 0), "wrong password")
    expect_rc(0x98E, lambda: esys.nv_write(h, b"x", 0), "wrong password on write")
    # The owner may not read it: no OWNERREAD
    expect_rc(0x149, lambda: esys.nv_read(h, 1, 0, ESYS_TR.OWNER), "owner read without OWNERREAD")


def writelock(esys):
    h = define(esys, 0x01500006, OWNER_RW | TPMA_NV.WRITE_STCLEAR, 8)
    esys.nv_write(h, b"before", 0, ESYS_TR.OWNER)
    esys.nv_write_lock(h, ESYS_TR.OWNER)
    expect_rc(0x148, lambda: esys.nv_write(h, b"after", 0, ESYS_TR.OWNER), "write after nv_write_lock")
    assert bytes(esys.nv_read(h, 6, 0, ESYS_TR.OWNER)) == b"before", "data kept"
    pub, _ = esys.nv_read_public(h)
    assert pub.nvPublic.attributes & TPMA_NV.WRITELOCKED, "WRITELOCKED shows"


def readlock(esys):
    h = define(esys, 0x01500007, OWNER_RW | TPMA_NV.READ_STCLEAR, 8)
    esys.nv_write(h, b"x", 0, ESYS_TR.OWNER)
    esys.nv_read_lock(h, ESYS_TR.OWNER)
    expect_rc(0x148, lambda: esys.nv_read(h, 1, 0, ESYS_TR.OWNER), "read after nv_read_lock")


def globallock(esys):
    h = define(esys, 0x01500008, OWNER_RW | TPMA_NV.GLOBALLOCK, 8)
    esys.nv_global_write_lock(ESYS_TR.OWNER)
    expect_rc(0x148, lambda: esys.nv_write(h, b"x", 0, ESYS_TR.OWNER), "write after global lock")


def handles(esys):
    defined = {0x01500011, 0x01500012, 0x01500013}
    for h in sorted(defined):
        define(esys, h, OWNER_RW, 4)
    _, data = esys.get_capability(TPM2_CAP.HANDLES, 0x01000000, 64)
    listed = {int(h) for h in data.data.handles}
    assert defined <= listed, f"handles {listed}"


def undefine(esys):
    h = define(esys, 0x01500009, OWNER_RW, 8)
    esys.nv_undefine_space(h, ESYS_TR.OWNER)
    expect_rc(0x18B, lambda: esys.tr_from_tpmpublic(0x01500009), "undefined index is gone")


def space(esys):
    """2 KiB indices until TPM_RC_NV_SPACE; the TPM keeps serving and all can be undefined."""
    defined = []
    handle = 0x01600000
    while True:
        try:
            defined.append(define(esys, handle, OWNER_RW, 2048))
        except TSS2_Exception as e:
            assert int(e.rc) & 0xFFF == 0x14B, f"rc {int(e.rc):#x} after {len(defined)} indices"
            break
        handle += 1
        assert len(defined) < 1000, "no TPM_RC_NV_SPACE"
    assert len(defined) >= 4, f"only {len(defined)} indices of 2 KiB fit"
    assert len(bytes(esys.get_random(16))) == 16, "still serving"
    esys.nv_write(defined[-1], b"z" * 1024, 1024, ESYS_TR.OWNER)
    assert bytes(esys.nv_read(defined[-1], 4, 1024, ESYS_TR.OWNER)) == b"zzzz"
    for h in defined:
        esys.nv_undefine_space(h, ESYS_TR.OWNER)
    define(esys, handle, OWNER_RW, 2048)
    print(f"defined {len(defined)} indices of 2 KiB before TPM_RC_NV_SPACE")


def policy(esys):
    """POLICYWRITE/POLICYREAD through a policy session. No policy assertion is needed: the index's
    authPolicy is the digest of the empty policy (all zeros); the authValue may not be used."""
    h = define(esys, 0x0150000A, TPMA_NV.POLICYWRITE | TPMA_NV.POLICYREAD, 8, auth=b"pw", policy=bytes(32))
    esys.tr_set_auth(h, b"pw")
    expect_rc(0x12F, lambda: esys.nv_write(h, b"x", 0), "password where only policy may write: AUTH_UNAVAILABLE")

    def session():
        return esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.POLICY,
                                       TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), TPM2_ALG.SHA256)
    s = session()
    esys.nv_write(h, b"policy", 0, h, session1=s)
    esys.flush_context(s)
    s = session()
    assert bytes(esys.nv_read(h, 6, 0, h, session1=s)) == b"policy", "read through policy"
    esys.flush_context(s)
    # An index whose authPolicy the session's digest does not match: TPM_RC_POLICY_FAIL, session 1
    h2 = define(esys, 0x0150000B, TPMA_NV.POLICYWRITE | TPMA_NV.OWNERREAD, 8, policy=b"\x01" * 32)
    s = session()
    expect_rc(0x99D, lambda: esys.nv_write(h2, b"x", 0, h2, session1=s), "policy mismatch")
    esys.flush_context(s)


def command_code_policy(code):
    """The digest of a policy holding only TPM2_PolicyCommandCode(code) (Part 3, 23.11)."""
    return hashlib.sha256(bytes(32) + (0x16C).to_bytes(4, "big") + int(code).to_bytes(4, "big")).digest()


def admin(esys):
    """The ADMIN role of an index (NV_ChangeAuth, NV_UndefineSpaceSpecial) needs a policy session:
    a password gets TPM_RC_AUTH_TYPE; a policy with PolicyCommandCode works."""
    def session():
        return esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.POLICY,
                                       TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), TPM2_ALG.SHA256)
    h = define(esys, 0x0150000C, TPMA_NV.AUTHREAD | TPMA_NV.AUTHWRITE, 8, auth=b"old",
               policy=command_code_policy(TPM2_CC.NV_ChangeAuth))
    esys.tr_set_auth(h, b"old")
    expect_rc(0x124, lambda: esys.nv_change_auth(h, b"new", session1=ESYS_TR.PASSWORD), "password for ADMIN role")
    s = session()
    esys.policy_command_code(s, TPM2_CC.NV_ChangeAuth)
    esys.nv_change_auth(h, b"new", session1=s)
    esys.flush_context(s)
    esys.tr_set_auth(h, b"new")
    esys.nv_write(h, b"new auth", 0)
    esys.tr_set_auth(h, b"old")
    expect_rc(0x98E, lambda: esys.nv_read(h, 8, 0), "the old password")

    p = define(esys, 0x01C0000D, TPMA_NV.PPREAD | TPMA_NV.PPWRITE | TPMA_NV.PLATFORMCREATE | TPMA_NV.POLICY_DELETE, 8,
               hierarchy=ESYS_TR.PLATFORM, policy=command_code_policy(TPM2_CC.NV_UndefineSpaceSpecial))
    expect_rc(0x282, lambda: esys.nv_undefine_space(p, ESYS_TR.PLATFORM), "POLICY_DELETE index by NV_UndefineSpace")
    s = session()
    esys.policy_command_code(s, TPM2_CC.NV_UndefineSpaceSpecial)
    esys.nv_undefine_space_special(p, s, ESYS_TR.PLATFORM)
    expect_rc(0x18B, lambda: esys.tr_from_tpmpublic(0x01C0000D), "deleted by NV_UndefineSpaceSpecial")


SCENARIOS = {f.__name__: f for f in
             [ordinary, counter, bits, extend, password, writelock, readlock, globallock, handles, undefine, space, policy, admin]}

if __name__ == "__main__":
    esys = ESAPI(TCTILdr.parse(sys.argv[1]))
    try:
        esys.startup(TPM2_SU.CLEAR)
    except TSS2_Exception:
        pass  # already started (TPM_RC_INITIALIZE)
    for name in sys.argv[2:]:
        SCENARIOS[name](esys)
        print("ok", name)
    esys.close()
