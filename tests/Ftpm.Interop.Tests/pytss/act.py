"""Authenticated Countdown Timers through tpm2-pytss and the simulator's platform port: ESAPI's own
Esys_ACT_SetTimeout (pytss 1.2 has no wrapper for it, so it is called through pytss's binding of the ESAPI
library) with a password session for platformAuth, TPM_CAP_ACT read raw through ESAPI's TCTI, and the ACT's
output seen as the platform sees it (mssim ACT_GET_SIGNALED on port+1): quiet while counting, asserted once
the timeout has passed, quiet again after a new timeout.
Usage: python3 act.py TCTI PLATFORM_PORT -- prints 'ok'."""
import os
import socket
import struct
import sys
import time

from tpm2_pytss._libtpm2_pytss import lib
from tpm2_pytss.constants import ESYS_TR
from tpm2_pytss.internal.utils import _chkrc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import connect  # noqa: E402

ACT_0 = 0x40000110
ESYS_TR_RH_ACT_0 = 0x120  # ESYS_TR_RH_ACT(0), tss2_esys.h

esys = connect(sys.argv[1])
platform_port = int(sys.argv[2])


def signaled(handle):
    with socket.create_connection(("127.0.0.1", platform_port)) as s:
        s.sendall(struct.pack(">II", 26, handle))
        reply = b""
        while len(reply) < 8:
            chunk = s.recv(8 - len(reply))
            assert chunk, "platform port closed"
            reply += chunk
    value, ack = struct.unpack(">II", reply)
    assert ack == 0, ack
    return value


def act_data(handle):
    """(timeout, attributes) of TPM_CAP_ACT for one ACT, read raw through ESAPI's TCTI."""
    tcti = esys.tcti
    tcti.transmit(struct.pack(">HII", 0x8001, 22, 0x17A) + struct.pack(">III", 0xA, handle, 1))
    r = bytes(tcti.receive())
    assert struct.unpack(">I", r[6:10])[0] == 0, r.hex()
    cap, count, got, timeout, attributes = struct.unpack(">IIIII", r[11:31])
    assert cap == 0xA and count == 1 and got == handle, r.hex()
    return timeout, attributes


def set_timeout(seconds):
    _chkrc(lib.Esys_ACT_SetTimeout(esys._ctx, ESYS_TR_RH_ACT_0, ESYS_TR.PASSWORD, ESYS_TR.NONE, ESYS_TR.NONE, seconds))


assert signaled(ACT_0) == 0
assert act_data(ACT_0) == (0, 0)
set_timeout(1)
timeout, attributes = act_data(ACT_0)
assert timeout == 1 and attributes == 0, (timeout, attributes)
assert signaled(ACT_0) == 0, "signaled before the timeout"
deadline = time.monotonic() + 10
while not signaled(ACT_0):
    assert time.monotonic() < deadline, "ACT_0 did not signal within 10 s"
    time.sleep(0.1)
assert act_data(ACT_0) == (0, 1), act_data(ACT_0)   # TPMA_ACT signaled
assert signaled(0x4000011A) == 0                      # ACT_A was never set
set_timeout(3600)
assert signaled(ACT_0) == 0 and act_data(ACT_0)[1] == 0
print("ok")
