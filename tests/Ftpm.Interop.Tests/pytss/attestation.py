"""Attestation through tpm2-pytss: TPM2_CertifyX509 (ESAPI's Esys_CertifyX509 through the bindings' C library,
as pytss 1.2 has no wrapper for it) gives a certificate that Python's cryptography parses and verifies, and the
obfuscated clock fields of TPMS_ATTEST: a signer in the endorsement hierarchy sees resetCount, restartCount and
firmwareVersion as they are, one in the owner hierarchy sees them offset by a value fixed for that signer.
Usage: python3 attestation.py TCTI -- prints 'ok' at the end; any failure raises."""
import hashlib
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_CAP, TPM2_RC, TPM2_ST, TPMA_OBJECT
from tpm2_pytss.internal.utils import _chkrc, _get_dptr
from tpm2_pytss._libtpm2_pytss import ffi, lib
from tpm2_pytss.types import (TPM2B_DATA, TPM2B_DIGEST, TPM2B_MAX_BUFFER, TPM2B_PUBLIC, TPMS_ATTEST, TPMT_SIG_SCHEME,
                              TPMT_SIGNATURE)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import connect, expect_rc, sensitive  # noqa: E402

esys = connect(sys.argv[1])

AK = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
      TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.SIGN_ENCRYPT)
SIGNING = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
           TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT)
NULL_SCHEME = TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL)


def primary(hierarchy, template, attributes):
    handle, public, _, _, _ = esys.create_primary(sensitive(), TPM2B_PUBLIC.parse(template, objectAttributes=attributes),
                                                  primary_handle=hierarchy)
    return handle, public.publicArea


def ecc_key(public):
    point = public.unique.ecc
    return ec.EllipticCurvePublicNumbers(int.from_bytes(bytes(point.x), "big"), int.from_bytes(bytes(point.y), "big"),
                                         ec.SECP256R1()).public_key()


def ecdsa_der(signature):
    sig = signature.signature.ecdsa
    return encode_dss_signature(int.from_bytes(bytes(sig.signatureR), "big"), int.from_bytes(bytes(sig.signatureS), "big"))


def attest_of(quoted):
    data = bytes(quoted)
    attest, used = TPMS_ATTEST.unmarshal(data)
    assert used == len(data)
    return attest, data


# ---- Obfuscated clock fields ----------------------------------------------------------------------------
ek_ak, ek_ak_public = primary(ESYS_TR.ENDORSEMENT, "ecc256:ecdsa-sha256:null", AK)
owner_ak, owner_ak_public = primary(ESYS_TR.OWNER, "ecc256:ecdsa-sha256:null", AK)
# TPM_PT_FIRMWARE_VERSION_1 and _2 (PT_FIXED + 11, + 12; pytss 1.2 has no names for them).
_, props = esys.get_capability(TPM2_CAP.TPM_PROPERTIES, 0x10B, 2)
versions = {int(p.property): p.value for p in props.data.tpmProperties}
firmware = (versions[0x10B] << 32) | versions[0x10C]
clock = esys.read_clock().clockInfo

quoted, signature = esys.quote(ek_ak, "sha256:0,1,2", b"plain", NULL_SCHEME)
plain, data = attest_of(quoted)
assert plain.magic == 0xFF544347 and plain.type == TPM2_ST.ATTEST_QUOTE
assert bytes(plain.extraData) == b"plain"
assert plain.clockInfo.resetCount == clock.resetCount and plain.clockInfo.restartCount == clock.restartCount
assert plain.firmwareVersion == firmware, (hex(plain.firmwareVersion), hex(firmware))
ecc_key(ek_ak_public).verify(ecdsa_der(signature), data, ec.ECDSA(hashes.SHA256()))

hidden = []
for _ in range(2):
    quoted, signature = esys.quote(owner_ak, "sha256:0,1,2", b"hidden", NULL_SCHEME)
    attest, data = attest_of(quoted)
    ecc_key(owner_ak_public).verify(ecdsa_der(signature), data, ec.ECDSA(hashes.SHA256()))
    hidden.append(attest)
first, second = hidden
assert first.firmwareVersion != firmware
assert first.clockInfo.resetCount != clock.resetCount
assert first.clockInfo.restartCount != clock.restartCount
assert (first.firmwareVersion, first.clockInfo.resetCount, first.clockInfo.restartCount) == \
       (second.firmwareVersion, second.clockInfo.resetCount, second.clockInfo.restartCount)
# Clock itself is not hidden; another owner signer gets other offsets.
assert first.clockInfo.clock >= clock.clock
other_ak, _ = primary(ESYS_TR.OWNER, "ecc256:ecdsa-sha256:null", AK | TPMA_OBJECT.NODA)
other, _ = attest_of(esys.quote(other_ak, "sha256:0", b"", NULL_SCHEME)[0])
assert other.firmwareVersion != first.firmwareVersion
esys.flush_context(other_ak)
esys.flush_context(owner_ak)

# ---- CertifyX509 -----------------------------------------------------------------------------------------


def der(tag, content):
    n = len(content)
    length = bytes([n]) if n < 0x80 else (bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xFF]))
    return bytes([tag]) + length + content


def partial_certificate(key_usage):
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ftpm pytss CA")]).public_bytes()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ftpm pytss key")]).public_bytes()
    validity = der(0x30, der(0x17, b"260101000000Z") + der(0x17, b"360101000000Z"))
    usage = der(0x30, der(0x06, bytes.fromhex("551d0f")) + der(0x01, b"\xff") + der(0x04, key_usage.public_bytes()))
    extensions = der(0xA3, der(0x30, usage))
    return der(0x30, issuer + validity + subject + extensions)


def certify_x509(subject_handle, signer, partial, reserved=b""):
    added = ffi.new("TPM2B_MAX_BUFFER **")
    tbs_digest = ffi.new("TPM2B_DIGEST **")
    signature = ffi.new("TPMT_SIGNATURE **")
    _chkrc(lib.Esys_CertifyX509(esys._ctx, subject_handle, signer, ESYS_TR.PASSWORD, ESYS_TR.PASSWORD, ESYS_TR.NONE,
                                TPM2B_DATA(reserved)._cdata, NULL_SCHEME._cdata, TPM2B_MAX_BUFFER(partial)._cdata,
                                added, tbs_digest, signature))
    return (bytes(TPM2B_MAX_BUFFER(_get_dptr(added, lib.Esys_Free))), bytes(TPM2B_DIGEST(_get_dptr(tbs_digest, lib.Esys_Free))),
            TPMT_SIGNATURE(_get_dptr(signature, lib.Esys_Free)))


def elements(encoded):
    """The TLVs inside one DER SEQUENCE."""
    assert encoded[0] == 0x30
    at, n = 2, encoded[1]
    if n & 0x80:
        size = n & 0x7F
        n = int.from_bytes(encoded[2:2 + size], "big")
        at = 2 + size
    body, out = encoded[at:at + n], []
    i = 0
    while i < len(body):
        length = body[i + 1]
        head = 2
        if length & 0x80:
            size = length & 0x7F
            length = int.from_bytes(body[i + 2:i + 2 + size], "big")
            head = 2 + size
        out.append(body[i:i + head + length])
        i += head + length
    return out


def certificate(subject_handle, partial, signer_public):
    added, tbs_digest, signature = certify_x509(subject_handle, ek_ak, partial)
    version, serial, algorithm, spki = elements(added)
    issuer, validity, subject, extensions = elements(partial)
    tbs = der(0x30, version + serial + algorithm + issuer + validity + subject + spki + extensions)
    assert tbs_digest == hashlib.sha256(tbs).digest()
    cert_der = der(0x30, tbs + algorithm + der(0x03, b"\x00" + ecdsa_der(signature)))
    cert = x509.load_der_x509_certificate(cert_der)
    ecc_key(signer_public).verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "ftpm pytss key"
    assert cert.version == x509.Version.v3
    return cert


signing_usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                              encipher_only=False, decipher_only=False)
ecc_subject, ecc_subject_public = primary(ESYS_TR.OWNER, "ecc256:null:null", SIGNING)
cert = certificate(ecc_subject, partial_certificate(signing_usage), ek_ak_public)
assert cert.public_key().public_numbers() == ecc_key(ecc_subject_public).public_numbers()
with open(os.path.join(os.environ.get("ATTEST_WORK", "."), "x509.der"), "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.DER))
esys.flush_context(ecc_subject)

rsa_subject, rsa_subject_public = primary(ESYS_TR.OWNER, "rsa2048:null:null", SIGNING)
cert = certificate(rsa_subject, partial_certificate(signing_usage), ek_ak_public)
assert cert.public_key().public_numbers().n == int.from_bytes(bytes(rsa_subject_public.unique.rsa), "big")
assert cert.public_key().public_numbers().e == 65537

# keyEncipherment for a key that does not decrypt: TPM_RC_VALUE + P3.
encipher = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                         data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)
expect_rc(TPM2_RC.VALUE + TPM2_RC.P + TPM2_RC.RC3, certify_x509, rsa_subject, ek_ak, partial_certificate(encipher))
print("ok")
