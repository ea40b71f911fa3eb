"""Helpers the tpm2-pytss scripts share (imported from the scripts' own folder)."""
from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import TPM2_RC, TPM2_SU
from tpm2_pytss.types import TPM2B_AUTH, TPM2B_SENSITIVE_CREATE, TPM2B_SENSITIVE_DATA, TPMS_SENSITIVE_CREATE


def sensitive(auth=b"", data=b""):
    """TPM2B_SENSITIVE_CREATE with a userAuth and sealed/secret data."""
    return TPM2B_SENSITIVE_CREATE(TPMS_SENSITIVE_CREATE(userAuth=TPM2B_AUTH(auth), data=TPM2B_SENSITIVE_DATA(data)))


def expect_rc(rc, f, *args, **kwargs):
    """Calls f and requires it to fail with exactly the response code rc."""
    try:
        f(*args, **kwargs)
    except TSS2_Exception as e:
        assert e.rc == rc, f"expected {rc:#x}, got {e.rc:#x}"
        return
    raise AssertionError(f"expected {rc:#x}, got success")


def connect(tcti):
    """An ESAPI context on tcti after TPM2_Startup(CLEAR); a TPM already started (swtpm with startup-clear,
    or a second script on the same server) answers TPM_RC_INITIALIZE, which is fine."""
    esys = ESAPI(TCTILdr.parse(tcti))
    try:
        esys.startup(TPM2_SU.CLEAR)
    except TSS2_Exception as e:
        if e.rc != TPM2_RC.INITIALIZE:
            raise
    return esys
