"""Drives a live ftpm through tpm2-pytss (ESAPI) and checks results against values computed here.
Usage: python3 foundation.py TCTI  -- prints 'ok' at the end; any failure raises."""
import hashlib
import sys

from tpm2_pytss import ESAPI, TCTILdr
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_CAP, TPM2_PT, TPM2_SU
from tpm2_pytss.types import TPML_DIGEST_VALUES, TPMT_HA, TPMU_HA, TPM2B_DIGEST

tcti = TCTILdr.parse(sys.argv[1])
esys = ESAPI(tcti)
esys.startup(TPM2_SU.CLEAR)

# Random numbers
r1 = bytes(esys.get_random(32))
r2 = bytes(esys.get_random(32))
assert len(r1) == 32 and r1 != r2, "get_random"
esys.stir_random(b"some entropy")

# PCR_Extend of SHA-256 into PCR 10, compared with a digest computed here
digest = hashlib.sha256(b"pytss measurement").digest()
ha = TPMT_HA(hashAlg=TPM2_ALG.SHA256, digest=TPMU_HA(sha256=digest))
esys.pcr_extend(ESYS_TR.PCR10, TPML_DIGEST_VALUES([ha]))
_, sel, values = esys.pcr_read("sha256:10")
expected = hashlib.sha256(bytes(32) + digest).digest()
assert bytes(values[0]) == expected, f"pcr 10: {bytes(values[0]).hex()} != {expected.hex()}"

# PCR_Event returns every bank's digest
event = esys.pcr_event(ESYS_TR.PCR11, b"event")
by_alg = {int(d.hashAlg): d for d in event}
assert len(by_alg) == 4, "pcr_event returns four banks"
assert bytes(by_alg[int(TPM2_ALG.SHA256)].digest.sha256) == hashlib.sha256(b"event").digest(), "pcr_event sha256"
assert bytes(by_alg[int(TPM2_ALG.SHA1)].digest.sha1) == hashlib.sha1(b"event").digest(), "pcr_event sha1"
_, _, values = esys.pcr_read("sha256:11")
assert bytes(values[0]) == hashlib.sha256(bytes(32) + hashlib.sha256(b"event").digest()).digest(), "pcr 11"

# PCR_Allocate through the platform hierarchy: effective at the next Startup(CLEAR)
from tpm2_pytss.types import TPML_PCR_SELECTION
ok, max_pcr, needed, available = esys.pcr_allocate(TPML_PCR_SELECTION.parse("sha1:all+sha256:all+sha384:all+sha512:all"), ESYS_TR.PLATFORM)
assert ok and max_pcr == 24, "pcr_allocate"

# Hash with a ticket from the owner hierarchy
data = b"x" * 1000
out, ticket = esys.hash(data, TPM2_ALG.SHA384, ESYS_TR.OWNER)
assert bytes(out) == hashlib.sha384(data).digest(), "hash"
assert ticket.tag == 0x8024 and ticket.hierarchy == 0x40000001 and len(bytes(ticket.digest)) == 48, "ticket"

# Hash sequence over three chunks
seq = esys.hash_sequence_start(b"", TPM2_ALG.SHA256)
esys.sequence_update(seq, b"a" * 1024)
esys.sequence_update(seq, b"b" * 1024)
result, _ = esys.sequence_complete(seq, b"c", ESYS_TR.NULL)
assert bytes(result) == hashlib.sha256(b"a" * 1024 + b"b" * 1024 + b"c").digest(), "sequence"

# Clock
t = esys.read_clock()
assert t.clockInfo.resetCount >= 1 and t.clockInfo.safe in (0, 1), "read_clock"
esys.clock_set(t.clockInfo.clock + 3_600_000, ESYS_TR.OWNER)
t2 = esys.read_clock()
assert t2.clockInfo.clock >= t.clockInfo.clock + 3_600_000, "clock_set"

# Capabilities
more, cap = esys.get_capability(TPM2_CAP.TPM_PROPERTIES, TPM2_PT.FAMILY_INDICATOR, 1)
prop = cap.data.tpmProperties[0]
assert prop.property == TPM2_PT.FAMILY_INDICATOR and prop.value == 0x322E3000, "family 2.0"
assert more, "more properties should follow"
more, cap = esys.get_capability(TPM2_CAP.PCRS, 0, 1)
banks = sorted(int(s.hash) for s in cap.data.assignedPCR)
assert banks == [int(TPM2_ALG.SHA1), int(TPM2_ALG.SHA256), int(TPM2_ALG.SHA384), int(TPM2_ALG.SHA512)], banks

esys.shutdown(TPM2_SU.STATE)
esys.close()
print("ok")
