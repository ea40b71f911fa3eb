#!/usr/bin/env bash
# Records the seed corpus of the execute harness: starts `ftpm serve` behind a recording mssim proxy
# (mssim-record.py) and runs a set of tpm2-tools calls of the kinds the interop tests make; every
# tool call becomes one seed file (its commands back to back) in fuzz/seeds/execute/.
# Usage: fuzz/record-seeds.sh   (needs a Release build of src/Ftpm.Cli and tpm2-tools)
set -uo pipefail
cd "$(dirname "$0")/.."
out=fuzz/seeds/execute
rm -rf fuzz/seeds; mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $server $proxy 2>/dev/null; rm -rf "$work"' EXIT
port=$((23000 + RANDOM % 2000))
dotnet src/Ftpm.Cli/bin/Release/net10.0/ftpm.dll serve --port $port --state "$work/state" >"$work/server.log" 2>&1 &
server=$!
/usr/bin/python3 fuzz/mssim-record.py $((port + 10)) $port "$out" &
proxy=$!
sleep 3
export TPM2TOOLS_TCTI="mssim:host=127.0.0.1,port=$((port + 10))" TSS2_LOG=all+none
cd "$work"
head -c 32 /dev/urandom > d32; head -c 1024 /dev/urandom > d1k; echo -n secret > secret
# Each call is one seed; transient objects are flushed after each (without a resource manager they
# would fill the TPM's object slots), and duplicate seeds are dropped at the end.
t() {
  echo "$1" > "$OLDPWD/$out/.label"; shift
  "$@" >/dev/null 2>err || { echo "  (failed: $*)"; tail -n 2 err; }
  echo flush > "$OLDPWD/$out/.label"; tpm2_flushcontext -t >/dev/null 2>&1
  sleep 0.1
}
t startup tpm2_startup -c
t getcap-fixed tpm2_getcap properties-fixed
cp "$work/state/nv.state" "$work/state-fresh"
t getcap-var tpm2_getcap properties-variable
t getcap-alg tpm2_getcap algorithms
t getcap-cc tpm2_getcap commands
t getcap-pcrs tpm2_getcap pcrs
t getcap-handles tpm2_getcap handles-persistent
t getcap-ecc tpm2_getcap ecc-curves
t getrandom tpm2_getrandom 32
t stirrandom tpm2_stirrandom d32
t pcrread tpm2_pcrread sha1:0,1,2+sha256:0,1,16
t pcrextend tpm2_pcrextend 16:sha256=0000000000000000000000000000000000000000000000000000000000000001
t pcrevent tpm2_pcrevent 16 d1k
t pcrreset tpm2_pcrreset 16
t hash tpm2_hash -g sha256 -C o d1k
t hash-seq tpm2_hash -g sha384 -C o -o h.bin -t h.tkt d1k
t selftest tpm2_selftest -f
t testresult tpm2_gettestresult
t testparms tpm2_testparms rsa2048
t readclock tpm2_readclock
t createprimary-ecc tpm2_createprimary -C o -g sha256 -G ecc -c primary.ctx
t createprimary-rsa tpm2_createprimary -C e -G rsa2048 -c rsaprimary.ctx
t createprimary-aes tpm2_createprimary -C o -G aes128cfb -c aesprimary.ctx
t create-ecc tpm2_create -C primary.ctx -G ecc -u ecc.pub -r ecc.priv -p keypass
t load-ecc tpm2_load -C primary.ctx -u ecc.pub -r ecc.priv -c ecc.ctx
t sign-ecc tpm2_sign -c ecc.ctx -p keypass -g sha256 -o ecc.sig d1k
t verify-ecc tpm2_verifysignature -c ecc.ctx -g sha256 -m d1k -s ecc.sig
t create-rsa tpm2_create -C primary.ctx -G rsa2048 -u rsa.pub -r rsa.priv
t load-rsa tpm2_load -C primary.ctx -u rsa.pub -r rsa.priv -c rsa.ctx
t sign-rsa tpm2_sign -c rsa.ctx -g sha256 -s rsapss -o rsa.sig d32
t rsaencrypt tpm2_rsaencrypt -c rsa.ctx -s oaep -o enc.bin secret
t rsadecrypt tpm2_rsadecrypt -c rsa.ctx -s oaep -o dec.bin enc.bin
t create-aes tpm2_create -C primary.ctx -G aes128cfb -u aes.pub -r aes.priv
t load-aes tpm2_load -C primary.ctx -u aes.pub -r aes.priv -c aes.ctx
t encryptdecrypt tpm2_encryptdecrypt -c aes.ctx -o e.bin d32
t create-hmac tpm2_create -C primary.ctx -G hmac -u hmac.pub -r hmac.priv
t load-hmac tpm2_load -C primary.ctx -u hmac.pub -r hmac.priv -c hmac.ctx
t hmac tpm2_hmac -c hmac.ctx --hex d1k
t seal tpm2_create -C primary.ctx -i secret -u seal.pub -r seal.priv -p sealpass
t unseal-load tpm2_load -C primary.ctx -u seal.pub -r seal.priv -c seal.ctx
t unseal tpm2_unseal -c seal.ctx -p sealpass
t createloaded tpm2_create -C primary.ctx -G ecc -c cl.ctx
t readpublic tpm2_readpublic -c ecc.ctx
t quote tpm2_quote -c ecc.ctx -p keypass -l sha256:0,1 -q 0102030405060708 -m q.msg -s q.sig
t certify tpm2_certify -C ecc.ctx -P keypass -c primary.ctx -g sha256 -o c.att -s c.sig
t gettime tpm2_gettime -c ecc.ctx -p keypass
t ecdhkeygen tpm2_ecdhkeygen -u pub.ecdh -o z.bin -c primary.ctx
t changeauth-key tpm2_changeauth -c ecc.ctx -C primary.ctx -p keypass -r ecc2.priv newpass
t evict tpm2_evictcontrol -C o -c primary.ctx 0x81000001
t readpublic-persistent tpm2_readpublic -c 0x81000001
t evict-remove tpm2_evictcontrol -C o -c 0x81000001
t nvdefine tpm2_nvdefine 0x1500001 -C o -s 32 -a "ownerread|ownerwrite|authread|authwrite" -p nvpass
t nvwrite tpm2_nvwrite 0x1500001 -C o -i d32
t nvwrite-auth tpm2_nvwrite 0x1500001 -C 0x1500001 -P nvpass -i d32
t nvread tpm2_nvread 0x1500001 -C o -s 32
t nvreadpublic tpm2_nvreadpublic 0x1500001
t nvwritelock tpm2_nvwritelock 0x1500001 -C o
t nvundefine tpm2_nvundefine 0x1500001 -C o
t nvdefine-counter tpm2_nvdefine 0x1500002 -C o -s 8 -a "ownerread|ownerwrite|nt=counter"
t nvincrement tpm2_nvincrement 0x1500002 -C o
t nvread-counter tpm2_nvread 0x1500002 -C o -s 8
t nvdefine-bits tpm2_nvdefine 0x1500003 -C o -s 8 -a "ownerread|ownerwrite|nt=bits"
t nvsetbits tpm2_nvsetbits 0x1500003 -C o -i 0x11
t nvdefine-extend tpm2_nvdefine 0x1500004 -C o -g sha256 -a "ownerread|ownerwrite|nt=extend"
t nvextend tpm2_nvextend 0x1500004 -C o -i d32
t nvcertify tpm2_nvcertify -C ecc.ctx -P keypass -g sha256 -o nvc.sig --attestation nvc.att --size 8 0x1500003
t nvdefine-orderly tpm2_nvdefine 0x1500005 -C o -s 8 -a "ownerread|ownerwrite|nt=counter|orderly"
t nvincrement-orderly tpm2_nvincrement 0x1500005 -C o
t session-hmac tpm2_startauthsession -S hmac.session --hmac-session -c primary.ctx
t nvread-hmac tpm2_nvread 0x1500002 -C o -s 8 -P session:hmac.session
t flush-session tpm2_flushcontext hmac.session
t policy-pcr tpm2_startauthsession -S p.session --policy-session
t policypcr tpm2_policypcr -S p.session -l sha256:0,1 -L p.policy
t policyauthvalue tpm2_policyauthvalue -S p.session
t policycommandcode tpm2_policycommandcode -S p.session TPM2_CC_Unseal
t policygetdigest tpm2_policyrestart -S p.session
t flush-policy tpm2_flushcontext p.session
t nvdefine-policy tpm2_nvdefine 0x1500006 -C o -s 16 -a "policyread|policywrite" -L p.policy
t trial-policy tpm2_startauthsession -S t.session
t trial-policysecret tpm2_policysecret -S t.session -c o -L secret.policy
t flush-trial tpm2_flushcontext t.session
t contextsave tpm2_flushcontext -t
t changeauth-owner tpm2_changeauth -c owner ownerpass
t changeauth-owner-back tpm2_changeauth -c owner -p ownerpass
t dictionarylockout tpm2_dictionarylockout -s -n 5 -t 6 -l 7
t dictionarylockout-clear tpm2_dictionarylockout -c
t setprimarypolicy tpm2_setprimarypolicy -C o -L p.policy -g sha256
t clockrateadjust tpm2_clockrateadjust s
t setclock tpm2_setclock 100000000
t createak tpm2_createek -c ek.ctx -G ecc -u ek.pub
t getcommandauditdigest tpm2_setcommandauditstatus -C o -g sha256 TPM2_CC_GetRandom
cp "$work/state/nv.state" "$work/state-used"
t hierarchycontrol tpm2_hierarchycontrol -C p shEnable clear
t clear tpm2_clear -c p
t shutdown tpm2_shutdown
t shutdown-clear tpm2_shutdown -c
rm -f "$OLDPWD/$out/.label"
cd "$OLDPWD"
sleep 1
# State harness seeds: the state file as the run left it and as it was right after manufacture, raw
# (first octet 0) and without its checksum (first octet 1: the harness appends it).
mkdir -p fuzz/seeds/state fuzz/seeds/mssim
for s in state/nv.state:end state-used:used state-fresh:fresh; do
  f="$work/${s%%:*}"; n=${s##*:}
  { printf '\x00'; cat "$f"; } > fuzz/seeds/state/$n-raw.bin
  { printf '\x01'; head -c -32 "$f"; } > fuzz/seeds/state/$n-unsummed.bin
  { printf '\x03'; head -c -32 "$f"; } > fuzz/seeds/state/$n-guard.bin
done
# mssim harness seeds (first octet: 0 command port, 1 platform port), written by hand.
/usr/bin/python3 - fuzz/seeds/mssim <<'PY'
import struct, sys, os
d = sys.argv[1]
u = lambda *v: b"".join(struct.pack(">I", x) for x in v)
startup = bytes.fromhex("80010000000c000001440000")
getrandom = bytes.fromhex("80010000000c0000017b0010")
seeds = {
    "command-session": b"\0" + u(15, 1) + u(8) + b"\0" + u(len(startup)) + startup + u(8) + b"\3" + u(len(getrandom)) + getrandom + u(20),
    "command-sizes": b"\0" + u(25) + u(26) + u(8) + b"\0" + u(4) + b"\x80\x01\0\0" + u(20),
    "platform-power": b"\1" + u(1, 11, 3, 4, 9, 10, 13, 14, 17, 18, 16, 0x101) + u(20),
    "platform-hash": b"\1" + u(1, 11, 5, 6, 8) + b"abcdefgh" + u(7, 20),
    "platform-fw": b"\1" + u(35, 32) + bytes(32) + u(36, 7, 26, 20),
}
for name, data in seeds.items():
    open(os.path.join(d, name + ".bin"), "wb").write(data)
PY
# Keep one copy of identical seeds.
declare -A seen
for f in "$out"/*.bin; do
  h=$(sha256sum "$f" | cut -c1-64)
  if [ -n "${seen[$h]:-}" ]; then rm "$f"; else seen[$h]=1; fi
done
echo "recorded $(ls $out | wc -l) seeds in $out ($(du -sh $out | cut -f1))"
