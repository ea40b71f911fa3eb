#!/usr/bin/env bash
# Runs every ftpm test on a fresh machine: installs the Debian packages the interop tests
# drive (tpm2-tools, tpm2-pytss, swtpm ...), restores NuGet packages, builds, then runs the unit
# tests and the interop tests. The interop tests start their own `ftpm serve` processes on
# loopback ports and stop them.
set -euo pipefail
cd "$(dirname "$0")"

packages=(tpm2-tools python3-tpm2-pytss libtss2-tcti-mssim0 libtss2-tcti-swtpm0 libtss2-dev
          swtpm swtpm-tools tpm2-abrmd libtss2-tcti-tabrmd0 dbus tpm2-openssl clevis clevis-tpm2
          qemu-system-x86 busybox-static cpio linux-image-amd64 python3 openssl
          clang zlib1g-dev afl++)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore ftpm.slnx
dotnet build ftpm.slnx -c Release --no-restore
# The NativeAOT executable (about 1-2 minutes on 2 cores) and the packages: the ftpm .NET tool and the
# Ftpm.Engine library. Interop tests start the native binary and install the tool.
rm -rf artifacts
dotnet publish src/Ftpm.Cli -c Release -o artifacts/native
dotnet pack ftpm.slnx -c Release --no-restore -o artifacts/packages

log=$(mktemp)
status=0
for project in tests/Ftpm.Core.Tests tests/Ftpm.Interop.Tests; do
  dotnet test "$project" -c Release --no-build 2>&1 | tee -a "$log" || status=1
done
# A bounded coverage-guided fuzzing job (afl-fuzz through SharpFuzz, fuzz/README.md): all three harnesses
# (execute 60 %, state 20 %, mssim 20 % of the minutes); any crash fails the run.
# The solution build above built the harnesses. About 2 minutes of fuzzing plus seconds of setup.
FUZZ_NO_BUILD=1 fuzz/run.sh "${FTPM_FUZZ_MINUTES:-2}" || status=1
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "$passed passed, $failed failed"
exit $status
