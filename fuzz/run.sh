#!/usr/bin/env bash
# A bounded coverage-guided fuzzing job: builds the harnesses, instruments the ftpm assemblies with
# SharpFuzz and runs afl-fuzz on each harness for its share of MINUTES (execute 60 %, state 20 %,
# mssim 20 %, or all of it for the harnesses named). Prints executions, corpus size, edges, crashes
# and hangs per harness; exits 1 when afl-fuzz saved a crash (the inputs are copied to fuzz/findings/).
# Usage: fuzz/run.sh MINUTES [execute|state|mssim ...]      (FUZZ_WORK=DIR keeps the afl-fuzz output;
#        FUZZ_EXECS=N also stops each harness after about N executions, for long runs;
#        FUZZ_NO_BUILD=1 uses the harness as built by `dotnet build ftpm.slnx -c Release`)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: fuzz/run.sh MINUTES [HARNESS...]}
shift
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(execute state mssim)

command -v afl-fuzz >/dev/null || { echo "fuzz/run.sh: afl-fuzz is missing (Debian package afl++)"; exit 1; }
export PATH="$PATH:$HOME/.dotnet/tools" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null

# FUZZ_NO_BUILD=1: the caller has just built the solution (./test.sh does); even an up-to-date build of
# the harness costs minutes on a loaded 2-core machine, more than the fuzzing CI gives it.
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  dotnet build fuzz/Ftpm.Fuzz -c Release -v quiet -nologo >/dev/null
elif [ ! -f fuzz/Ftpm.Fuzz/bin/Release/net10.0/Ftpm.Fuzz.dll ]; then
  echo "fuzz/run.sh: FUZZ_NO_BUILD is set but fuzz/Ftpm.Fuzz is not built (dotnet build ftpm.slnx -c Release)"; exit 1
fi
work=${FUZZ_WORK:-$(mktemp -d /tmp/ftpm-fuzz.XXXXXX)}
mkdir -p "$work"
bin="$work/bin"
rm -rf "$bin"; cp -r fuzz/Ftpm.Fuzz/bin/Release/net10.0 "$bin"
for assembly in Ftpm.Core Ftpm.Storage Ftpm.Server; do
  sharpfuzz "$bin/$assembly.dll" >/dev/null
done

# afl-fuzz drives `dotnet`, which has no AFL instrumentation of its own (SharpFuzz's fork server speaks
# for the managed code), on a machine that may not write core files.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
       AFL_FAST_CAL=1 AFL_NO_AFFINITY=1 AFL_QUIET=1

share() { # seconds for a harness
  if [ ${#harnesses[@]} -ne 3 ]; then echo $((minutes * 60 / ${#harnesses[@]}));
  elif [ "$1" = execute ]; then echo $((minutes * 36)); else echo $((minutes * 12)); fi
}
status=0
for h in "${harnesses[@]}"; do
  seconds=$(share "$h")
  [ "$seconds" -lt 20 ] && seconds=20
  out="$work/out-$h"
  input="fuzz/seeds/$h"
  # An output folder from an earlier run resumes it.
  [ -f "$out/default/fuzzer_stats" ] && input=-
  echo "fuzzing $h for ${seconds}s (output $out)"
  bound=(-V "$seconds")
  [ -n "${FUZZ_EXECS:-}" ] && bound+=(-E "$FUZZ_EXECS")
  afl-fuzz -i "$input" -o "$out" "${bound[@]}" -t 10000 -m none -- dotnet "$bin/Ftpm.Fuzz.dll" "$h" >"$work/afl-$h.log" 2>&1 || {
    echo "afl-fuzz failed for $h:"; tail -n 30 "$work/afl-$h.log"; status=1; continue; }
  stats="$out/default/fuzzer_stats"
  get() { grep -E "^$1 " "$stats" | sed 's/.*: //'; }
  echo "  $h: $(get execs_done) executions ($(get execs_per_sec)/s), corpus $(get corpus_count), edges $(get edges_found), crashes $(get saved_crashes), hangs $(get saved_hangs)"
  crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
  if [ "$crashes" -gt 0 ]; then
    mkdir -p "fuzz/findings/$h"
    cp "$out"/default/crashes/id:* "fuzz/findings/$h/"
    echo "  $crashes crashing inputs copied to fuzz/findings/$h; triage: dotnet fuzz/Ftpm.Fuzz/bin/Release/net10.0/Ftpm.Fuzz.dll replay $h fuzz/findings/$h"
    status=1
  fi
done
exit $status
