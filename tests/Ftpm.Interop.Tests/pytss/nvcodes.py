"""NV command answers, byte for byte: sends the same raw NV commands (password sessions, mssim
SEND_COMMAND framing, which swtpm's data port also accepts) and prints each response code, plus the
response parameters of successful reads (NV_Read data, NV_ReadPublic public area and Name).
Run against ftpm and against swtpm with fresh states, the two outputs must be identical.
Usage: python3 nvcodes.py PORT  (the TPM must be powered on; Startup(CLEAR) is sent first)."""
import socket, struct, sys
def conn(port):
    s = socket.create_connection(("127.0.0.1", port)); return s
def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: raise EOFError
        b += c
    return b
def send(s, cmd):
    for _ in range(5):
        s.sendall(struct.pack(">IBI", 8, 0, len(cmd)) + cmd)
        n = struct.unpack(">I", recvn(s, 4))[0]; r = recvn(s, n); recvn(s, 4)
        if struct.unpack(">I", r[6:10])[0] != 0x922:   # TPM_RC_RETRY: a client sends the command again
            return r
    return r
def u16(v): return struct.pack(">H", v)
def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)
def sized(b): return u16(len(b)) + b
def pw(p=b""): return u32(0x40000009) + u16(0) + b"\x01" + sized(p)
def build(cc, handles, auths, params):
    body = b"".join(u32(h) for h in handles)
    tag = 0x8001
    if auths is not None:
        area = b"".join(auths); body += u32(len(area)) + area; tag = 0x8002
    body += params
    return u16(tag) + u32(10 + len(body)) + u32(cc) + body
OWNER, PLAT = 0x40000001, 0x4000000C
def pub(h, attrs, size, alg=0x0B, pol=b""): return u32(h) + u16(alg) + u32(attrs) + sized(pol) + u16(size)
def define(h, attrs, size, auth=b"", alg=0x0B, pol=b"", ah=OWNER, raw=None):
    p = raw if raw is not None else sized(pub(h, attrs, size, alg, pol))
    return build(0x12A, [ah], [pw()], sized(auth) + p)
def undef(h, ah=OWNER): return build(0x122, [ah, h], [pw()], b"")
def write(h, data, off=0, ah=OWNER, p=b""): return build(0x137, [ah, h], [pw(p)], sized(data) + u16(off))
def read(h, size, off=0, ah=OWNER, p=b""): return build(0x14E, [ah, h], [pw(p)], u16(size) + u16(off))
def inc(h, ah=OWNER, p=b""): return build(0x134, [ah, h], [pw(p)], b"")
def ext(h, d, ah=OWNER): return build(0x136, [ah, h], [pw()], sized(d))
def setbits(h, v, ah=OWNER): return build(0x135, [ah, h], [pw()], u64(v))
def wlock(h, ah=OWNER): return build(0x138, [ah, h], [pw()], b"")
def rlock(h, ah=OWNER): return build(0x14F, [ah, h], [pw()], b"")
def glock(ah=OWNER): return build(0x132, [ah], [pw()], b"")
def readpub(h): return build(0x169, [h], None, b"")
def chauth(h, a, p=b""): return build(0x13B, [h], [pw(p)], sized(a))
def undefspecial(h): return build(0x11F, [h, PLAT], [pw(), pw()], b"")
ORW = (1<<17)|(1<<1)
NT = lambda t: t << 4
I = 0x01500020
cases = [
 ("cleanup0", undef(I)), ("cleanup1", undef(I+1)), ("cleanup2", undef(I+2)), ("cleanup3", undef(I+3)),
 ("pol size", define(I, ORW, 8, pol=b"x"*20)),
 ("auth long sha1", define(I, ORW, 8, auth=b"\x01"*21, alg=4)),
 ("nt 3", define(I, ORW|NT(3), 8)),
 ("counter size 4", define(I, ORW|NT(1), 4)),
 ("counter clearst", define(I, ORW|NT(1)|(1<<27), 8)),
 ("pinfail no noda", define(I, ORW|NT(8), 8)),
 ("pinpass authwrite", define(I, ORW|NT(9)|(1<<2), 8)),
 ("written", define(I, ORW|(1<<29), 8)),
 ("no read", define(I, (1<<1), 8)),
 ("clearst writedef", define(I, ORW|(1<<27)|(1<<13), 8)),
 ("platcreate owner", define(I, ORW|(1<<30), 8)),
 ("policydelete owner", define(I, ORW|(1<<10), 8)),
 ("writeall 1025", define(I, ORW|(1<<12), 1025)),
 ("size 2049", define(I, ORW, 2049)),
 ("reserved bit8", define(I, ORW|(1<<8), 8)),
 ("handle 0x81", define(0x81000001, ORW, 8)),
 ("nameAlg null", define(I, ORW, 8, alg=0x10)),
 ("empty pub", define(I, 0, 0, raw=u16(0))),
 ("pub too long", define(I, 0, 0, raw=sized(pub(I, ORW, 8) + b"\0"))),
 ("auth 65", build(0x12A, [OWNER], [pw()], sized(b"\1"*65) + sized(pub(I, ORW, 8)))),
 ("define ok", define(I, ORW|(1<<14)|(1<<31), 16)),
 ("define again", define(I, ORW, 16)),
 ("read unwritten", read(I, 4)),
 ("write off 17", write(I, b"", 17)),
 ("write range", write(I, b"ab", 15)),
 ("write 1025", write(I, b"a"*1025)),
 ("write ok", write(I, b"abc", 4)),
 ("read all", read(I, 16)),
 ("read size 1025", read(I, 1025)),
 ("read off 17", read(I, 0, 17)),
 ("read range", read(I, 2, 15)),
 ("read by platform", read(I, 2, 0, PLAT)),
 ("write by platform", write(I, b"x", 0, PLAT)),
 ("inc non counter", inc(I)),
 ("extend non ext", ext(I, b"x")),
 ("setbits non bits", setbits(I, 1)),
 ("setbits short", build(0x135, [OWNER, I], [pw()], u32(1))),
 ("wlock", wlock(I)), ("write locked", write(I, b"x")), ("wlock again", wlock(I)),
 ("rlock", rlock(I)), ("read locked", read(I, 1)), ("rlock again", rlock(I)),
 ("def counter", define(I+1, ORW|NT(1), 8)),
 ("write counter", write(I+1, b"\0"*8)),
 ("wlock counter", wlock(I+1)),
 ("rlock counter", rlock(I+1)),
 ("inc", inc(I+1)), ("read counter", read(I+1, 8)),
 ("inc params", build(0x134, [OWNER, I+1], [pw()], b"\0")),
 ("def auth idx", define(I+2, (1<<18)|(1<<3)|(1<<17), 8, auth=b"pw")),
 ("write idx auth no authwrite", write(I+2, b"x", 0, I+2, b"pw")),
 ("write idx wrong pw", write(I+2, b"x", 0, I+2, b"bad")),
 ("write by other idx", write(I+2, b"x", 0, I+1)),
 ("read idx auth unwritten", read(I+2, 1, 0, I+2, b"pw")),
 ("read idx wrong pw", read(I+2, 1, 0, I+2, b"bad")),
 ("changeauth pw", chauth(I+2, b"new", b"pw")),
 ("undef special pw", undefspecial(I+2)),
 ("def plat", define(I+3, (1<<16)|(1<<0)|(1<<30)|(1<<10), 8, ah=PLAT)),
 ("undef policydelete", undef(I+3, PLAT)),
 ("def plat no pc", define(I+3, (1<<16)|(1<<0), 8, ah=PLAT)),
 ("def ext", define(I+4, ORW|NT(4), 32)),
 ("ext a", ext(I+4, b"a")), ("ext bb", ext(I+4, b"bb")), ("read ext", read(I+4, 32)),
 ("def bits", define(I+5, ORW|NT(2)|(1<<15), 8)),
 ("setbits 5", setbits(I+5, 5)), ("setbits hi", setbits(I+5, 1<<63)), ("read bits", read(I+5, 8)),
 ("def orderly ctr", define(I+6, ORW|NT(1)|(1<<26), 8)),
 ("inc orderly", inc(I+6)), ("read orderly", read(I+6, 8)),
 ("def pinfail", define(I+7, ORW|NT(8)|(1<<25)|(1<<18), 8, auth=b"pin")),
 ("write pin", write(I+7, bytes([0,0,0,0,0,0,0,3]))),
 ("read pin own auth", read(I+7, 8, 0, I+7, b"pin")),
 ("def writedef", define(I+8, ORW|(1<<13), 4)),
 ("wlock unwritten wd", wlock(I+8)), ("write after wd lock", write(I+8, b"abcd")),
 ("readpub writedef", readpub(I+8)),
 ("def writeall", define(I+9, ORW|(1<<12), 4)),
 ("write partial wa", write(I+9, b"ab")), ("write whole wa", write(I+9, b"abcd")),
 ("glock", glock()),
 ("write bits glocked", setbits(I+5, 1)),
 ("readpub bits", readpub(I+5)), ("readpub counter", readpub(I+1)), ("readpub ext", readpub(I+4)),
 ("readpub", readpub(I)),
 ("readpub none", readpub(0x01500fff)),
 ("undef none", undef(0x01500fff)),
 ("read no handle", read(0x01500fff, 1)),
]
port = int(sys.argv[1])
s = conn(port)
send(s, build(0x144, [], None, u16(0)))   # Startup(CLEAR); TPM_RC_INITIALIZE when already started
for name, c in cases:
    r = send(s, c)
    rc = struct.unpack(">I", r[6:10])[0]
    extra = r[10:].hex() if name.startswith("read") and rc == 0 else ""
    print(f"{name:30s} {rc:#05x} {extra}")
