#!/usr/bin/env bash
# Builds the libFuzzer driver, seeds a corpus per harness and fuzzes each harness in turn
# (docs/Fuzzing.md). Usage:
#   scripts/fuzz.sh [-t SECONDS] [-k] [-n] [HARNESS...]   default: 60 s each, every harness
#     -t  seconds per harness (libFuzzer -max_total_time)
#     -k  keep going after a finding (restart libFuzzer until the time is up); without it a
#         harness stops at its first crash/leak/timeout/OOM and the script exits non-zero
#         (the CI smoke run), as it does with -k when anything was found
#     -n  no build or seeding: reuse $FUZZ_DIR/bin and seeds (to run a second script in parallel)
# Everything goes to $FUZZ_DIR (default .fuzz/, git-ignored): bin/, seeds/, corpus/<harness>/
# (grows across runs), artifacts/<harness>/ (crashing inputs), logs/<harness>.log.
# The body is one block, read whole before it runs: editing the script during a long run is safe.
{
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
FUZZ_DIR=${FUZZ_DIR:-.fuzz}
FUZZ_BUILD=${FUZZ_BUILD:-.build-fuzz}  # SwiftPM scratch path of the sanitizer build
FUZZ_CONFIG=${FUZZ_CONFIG:-release}    # debug builds sooner, release fuzzes faster
SECONDS_EACH=60
KEEP_GOING=0
PREPARE=1
while getopts "t:kn" o; do
    case $o in t) SECONDS_EACH=$OPTARG ;; k) KEEP_GOING=1 ;; n) PREPARE=0 ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
HARNESSES=("${@:-pickle torch zip nvlabs onnx npy sgan}")
read -r -a HARNESSES <<< "${HARNESSES[*]}"

prepare() {
# 1. The driver, with every module instrumented for coverage and AddressSanitizer.
STYLEGAN_FUZZ=1 $SWIFT build --scratch-path "$FUZZ_BUILD" -c "$FUZZ_CONFIG" --product fuzz-readers \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address 2>&1 | grep -E "error|Compiling|Build" | tail -3
mkdir -p "$FUZZ_DIR/bin"
# A copy: a rebuild while a campaign runs must not replace the binary under it.
cp "$FUZZ_BUILD/$FUZZ_CONFIG/fuzz-readers" "$FUZZ_DIR/bin/fuzz-readers.new"
mv "$FUZZ_DIR/bin/fuzz-readers.new" "$FUZZ_DIR/bin/fuzz-readers"

# 2. Seeds (re-created each run; the corpus folders keep what the fuzzer found).
rm -rf "$FUZZ_DIR/seeds"
python3 scripts/fuzz_seeds.py . "$FUZZ_DIR/seeds" "${OFFICIAL_PICKLES:-../shared/fixtures/official}"
STYLEGAN=${STYLEGAN:-.build/release/stylegan}
mkdir -p "$FUZZ_DIR/seeds/sgan"
if [[ -x $STYLEGAN ]]; then
    # Small generators in every storage dtype, and an ONNX import (primitive ops).
    for src in Fixtures/official-code/ada-gray-clamp-16.pkl Fixtures/official-code/sg3-t-16.pkl; do
        for dtype in f32 f16 bf16 int8; do
            "$STYLEGAN" convert "$src" -o "$FUZZ_DIR/seeds/sgan/$(basename "$src" .pkl)-$dtype.sgan" --dtype "$dtype" --force >/dev/null
        done
    done
    "$STYLEGAN" convert Fixtures/onnx/ada32-mapping-ts.onnx -o "$FUZZ_DIR/seeds/sgan/ada32-mapping-ts.sgan" --force >/dev/null
else
    echo "fuzz.sh: $STYLEGAN not built; the sgan harness starts from an empty corpus (set STYLEGAN=...)" >&2
fi

}
[[ $PREPARE == 1 ]] && prepare

# 3. Fuzz. Limits: 1 s per input is a hang, a process over 2 GB an OOM, and so is one
# allocation over what the largest input justifies: zip/npy inputs of 256 KB may inflate
# 1032:1 (264 MB); pickle decoding may allocate 4 × its input + 64 MiB in all
# (PickleLimits.maxDecodedBytes); ONNX, NPY and .sgan data are at most a few × their input.
max_len() {
    case $1 in nvlabs) echo 4000000 ;; onnx) echo 1600000 ;; pickle) echo 1000000 ;; sgan) echo 600000 ;; *) echo 262144 ;; esac
}
malloc_limit_mb() {
    case $1 in zip | npy | torch) echo 300 ;; *) echo 128 ;; esac
}
# On a loaded machine a slow input (a multi-MB model under AddressSanitizer) can exceed 1 s
# without hanging. A timeout input that runs again in under 1 s is moved to slow/<harness>/
# (and out of the corpus, which would stop every restart on it); the rest are findings.
slow_not_hung() {
    local ms
    ms=$(SWIFT_BACKTRACE=enable=no FUZZ_HARNESS=$1 timeout 10 "$FUZZ_DIR/bin/fuzz-readers" -runs=1 "$2" 2>&1 |
        grep -oE 'in [0-9]+ ms' | grep -oE '[0-9]+' || echo 999999)
    (( ms < 1000 )) || return 1
    mkdir -p "$FUZZ_DIR/slow/$1"
    mv "$2" "$FUZZ_DIR/slow/$1/"
    rm -f "$FUZZ_DIR/corpus/$1/${2##*/timeout-}"
    echo "fuzz.sh: $1: ${2##*/} ran again in $ms ms: slow, not hung" >> "$log"
}
status=0
summary=()
for h in "${HARNESSES[@]}"; do
    mkdir -p "$FUZZ_DIR/corpus/$h" "$FUZZ_DIR/artifacts/$h" "$FUZZ_DIR/logs"
    log="$FUZZ_DIR/logs/$h.log"
    : > "$log"
    start=$(date +%s)
    execs=0 runs=0 rc=0
    # libFuzzer stops at its first finding. With -k it is restarted on the grown corpus until
    # the time is up (fork mode would also keep going, but its job restarts cost most of the
    # time for the slower harnesses).
    while :; do
        left=$(( SECONDS_EACH - ($(date +%s) - start) ))
        (( left > 0 )) || break
        run_rc=0
        # Swift's own backtracer off: AddressSanitizer reports the trap with its stack.
        SWIFT_BACKTRACE=enable=no FUZZ_HARNESS=$h "$FUZZ_DIR/bin/fuzz-readers" -max_total_time="$left" -timeout=1 \
            -rss_limit_mb=2048 -malloc_limit_mb="$(malloc_limit_mb "$h")" -max_len="$(max_len "$h")" -len_control=0 \
            -print_final_stats=1 -artifact_prefix="$FUZZ_DIR/artifacts/$h/" \
            "$FUZZ_DIR/corpus/$h" "$FUZZ_DIR/seeds/$h" >> "$log" 2>&1 || run_rc=$?
        runs=$((runs + 1))
        n=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || echo 0)
        execs=$((execs + n))
        [[ $run_rc == 0 ]] && break
        unit=$(grep -oE 'Test unit written to .*' "$log" | tail -1 | sed 's/Test unit written to //')
        if [[ $unit == */timeout-* ]] && slow_not_hung "$h" "$unit"; then continue; fi
        rc=$run_rc
        [[ $KEEP_GOING == 1 ]] || break
        grep -E 'ERROR|SUMMARY|Test unit written' "$log" | tail -3 >&2 || true
    done
    wall=$(( $(date +%s) - start ))
    cov=$(grep -oE '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || true)
    found=$(ls "$FUZZ_DIR/artifacts/$h" | wc -l)
    summary+=("$(printf '%-7s %4ss  execs %-9s cov %-6s runs %-3s artifacts %-3s exit %s' "$h" "$wall" "$execs" "$cov" "$runs" "$found" "$rc")")
    if [[ $rc != 0 ]]; then
        status=1
        echo "fuzz.sh: harness $h found something (exit $rc); see $log and $FUZZ_DIR/artifacts/$h/" >&2
        grep -E 'ERROR|SUMMARY|Fatal error|Test unit written' "$log" | head -5 >&2 || true
    fi
done
printf '%s\n' "${summary[@]}"
exit $status
}
