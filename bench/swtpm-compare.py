#!/usr/bin/env python3
"""Side by side: the same raw TPM workload through swtpm's data channel of `ftpm swtpm socket` and of
Debian's swtpm. One persistent TCP connection per server; each round trip is one command and its
response. Reports the wall time per round trip (client side) and the server's CPU time per round trip
(utime+stime from /proc/PID/stat, so client overhead is excluded).

Usage: bench/swtpm-compare.py [N]   (N round trips per command, default 2000; build ftpm first:
dotnet build src/Ftpm.Cli -c Release)"""
import os, shutil, socket, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FTPM = os.path.join(ROOT, "src/Ftpm.Cli/bin/Release/net10.0/ftpm.dll")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
TICKS = os.sysconf("SC_CLK_TCK")

GETRANDOM = bytes.fromhex("80010000000c0000017b0020")                       # TPM2_GetRandom(32)
# TPM2_PCR_Extend(PCR 16, password session, one SHA-256 digest)
PCR_EXTEND = bytes.fromhex("80020000004100000182" "00000010" "00000009" "40000009000001" "0000"
                           "00000001" "000b") + bytes(range(32))
assert len(PCR_EXTEND) == 0x41

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def start(name, port, state):
    common = ["socket", "--tpm2", "--server", f"type=tcp,port={port},bindaddr=127.0.0.1",
              "--ctrl", f"type=tcp,port={port + 1},bindaddr=127.0.0.1", "--tpmstate", f"dir={state}",
              "--flags", "not-need-init,startup-clear"]
    cmd = ["dotnet", FTPM, "swtpm"] + common if name == "ftpm" else ["swtpm"] + common
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            return proc, socket.create_connection(("127.0.0.1", port))
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not start")

def roundtrip(conn, command):
    conn.sendall(command)
    r = conn.recv(8192)
    while len(r) < 10 or len(r) < struct.unpack(">I", r[2:6])[0]:
        r += conn.recv(8192)
    rc = struct.unpack(">I", r[6:10])[0]
    assert rc == 0, hex(rc)

def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS

def measure(proc, conn, command):
    for _ in range(2000):
        roundtrip(conn, command)  # warm up: .NET's tiered JIT recompiles hot methods in the background
    time.sleep(0.5)
    c0, t0 = cpu(proc.pid), time.perf_counter()
    for _ in range(N):
        roundtrip(conn, command)
    t1, c1 = time.perf_counter(), cpu(proc.pid)
    return (t1 - t0) / N * 1e6, (c1 - c0) / N * 1e6

rows = []
for name in ("ftpm", "swtpm"):
    state = tempfile.mkdtemp(prefix=f"bench-{name}-")
    proc, conn = start(name, free_port(), state)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for label, command in (("GetRandom(32)", GETRANDOM), ("PCR_Extend(SHA-256)", PCR_EXTEND)):
            wall, server = measure(proc, conn, command)
            rows.append((label, name, wall, server))
    finally:
        conn.close(); proc.terminate(); proc.wait(); shutil.rmtree(state, ignore_errors=True)

print(f"{N} round trips per command, one TCP connection, raw TPM frames")
print("| Command | Server | Wall time per round trip (µs) | Server CPU per round trip (µs) |")
print("|---|---|---:|---:|")
for label, name, wall, server in sorted(rows):
    print(f"| {label} | {name} | {wall:.1f} | {server:.1f} |")
