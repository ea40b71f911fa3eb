"""NV fault-test client (tpm2-pytss, password sessions). Each command starts the TPM if needed.
  nvfault.py TCTI write HANDLE HEX     define an owner index of that size if missing, write HEX, print 'ok'
  nvfault.py TCTI read HANDLE SIZE     print the index's first SIZE octets as hex
  nvfault.py TCTI counters A B         define counter A and orderly counter B if missing, print 'A value B value'
  nvfault.py TCTI increment A B        increment A and B in turn for ever; after each acknowledged increment
                                       print 'A value' or 'B value' (read back) and flush; ends when the TPM goes away
"""
import sys

from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_NT, TPM2_SU, TPMA_NV
from tpm2_pytss.types import TPM2B_NV_PUBLIC, TPMS_NV_PUBLIC

OWNER_RW = TPMA_NV.OWNERREAD | TPMA_NV.OWNERWRITE


def index(esys, handle, attributes, size):
    try:
        return esys.tr_from_tpmpublic(handle)
    except TSS2_Exception:
        pub = TPM2B_NV_PUBLIC(nvPublic=TPMS_NV_PUBLIC(
            nvIndex=handle, nameAlg=TPM2_ALG.SHA256, attributes=attributes, dataSize=size))
        return esys.nv_define_space(b"", pub, auth_handle=ESYS_TR.OWNER)


def counter(esys, handle, orderly):
    attributes = OWNER_RW | (TPM2_NT.COUNTER << TPMA_NV.TPM2_NT_SHIFT) | (TPMA_NV.ORDERLY if orderly else 0)
    return index(esys, handle, attributes, 8)


def value(esys, h):
    try:
        return int.from_bytes(bytes(esys.nv_read(h, 8, 0, ESYS_TR.OWNER)), "big")
    except TSS2_Exception as e:
        if int(e.rc) & 0xFFF == 0x14A:  # never incremented
            return 0
        raise


def main():
    tcti, command = sys.argv[1], sys.argv[2]
    esys = ESAPI(TCTILdr.parse(tcti))
    try:
        esys.startup(TPM2_SU.CLEAR)
    except TSS2_Exception:
        pass  # already started
    if command == "write":
        handle, data = int(sys.argv[3], 0), bytes.fromhex(sys.argv[4])
        h = index(esys, handle, OWNER_RW, len(data))
        esys.nv_write(h, data, 0, ESYS_TR.OWNER)
        print("ok", flush=True)
    elif command == "read":
        h = esys.tr_from_tpmpublic(int(sys.argv[3], 0))
        print(bytes(esys.nv_read(h, int(sys.argv[4]), 0, ESYS_TR.OWNER)).hex(), flush=True)
    elif command == "counters":
        a = counter(esys, int(sys.argv[3], 0), orderly=False)
        b = counter(esys, int(sys.argv[4], 0), orderly=True)
        print("A", value(esys, a), "B", value(esys, b), flush=True)
    elif command == "increment":
        hs = {"A": counter(esys, int(sys.argv[3], 0), orderly=False),
              "B": counter(esys, int(sys.argv[4], 0), orderly=True)}
        print("started", flush=True)
        try:
            while True:
                for name, h in hs.items():
                    esys.nv_increment(h, ESYS_TR.OWNER)
                    print(name, value(esys, h), flush=True)
        except Exception:
            pass  # the server was killed
    else:
        raise SystemExit("unknown command " + command)


main()
