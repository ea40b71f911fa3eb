"""PCR_Allocate through tpm2-pytss: python3 allocate.py TCTI BANK=on|off ... (the TPM must be started)."""
import sys

from tpm2_pytss import ESAPI, TCTILdr
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG
from tpm2_pytss.types import TPML_PCR_SELECTION, TPMS_PCR_SELECTION

selections = []
for arg in sys.argv[2:]:
    bank, state = arg.split("=")
    bits = b"\xff\xff\xff" if state == "on" else b"\x00\x00\x00"
    selections.append(TPMS_PCR_SELECTION(hash=getattr(TPM2_ALG, bank.upper()), sizeofSelect=3, pcrSelect=bits))

esys = ESAPI(TCTILdr.parse(sys.argv[1]))
ok, max_pcr, needed, available = esys.pcr_allocate(TPML_PCR_SELECTION(selections), ESYS_TR.PLATFORM)
assert ok and max_pcr == 24 and needed <= available, (ok, max_pcr, needed, available)
esys.close()
print("ok")
