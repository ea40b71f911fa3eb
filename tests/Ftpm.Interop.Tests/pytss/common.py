"""Helpers the tpm2-pytss scripts share (imported from the scripts' own folder)."""
from tpm2_pytss import TSS2_Exception
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
