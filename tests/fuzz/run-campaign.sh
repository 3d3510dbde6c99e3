#!/bin/bash
# run-campaign.sh - a libFuzzer campaign over every target, with the
# libraries instrumented (-Dfuzzing=true) and ASan+UBSan on; prints one
# line per target with the coverage libFuzzer reached. Findings are left
# as crash-*/leak-* files in the work directory and make it exit 1.
#
#   tests/fuzz/run-campaign.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Needs clang. Corpora start from tests/fuzz/corpus/<target> (copied, the
# tree is not touched); work dir: $FUZZ_WORK (default /tmp/smbfuse-fuzz).
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-600}
shift || true
work=${FUZZ_WORK:-/tmp/smbfuse-fuzz}
if [ -d build-fuzz/meson-private ]; then
    meson setup --reconfigure build-fuzz >/dev/null
else
    CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
        -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz >/dev/null || exit 1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for d in tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
mkdir -p "$work"
status=0
printf '%-20s %8s %8s %12s %s\n' target cov ft runs result
for t in "${targets[@]}"; do
    exe=build-fuzz/tests/fuzz/fuzz_$t
    [ -x "$exe" ] || { echo "$t: no target" >&2; status=1; continue; }
    mkdir -p "$work/$t/corpus"
    cp -n tests/fuzz/corpus/"$t"/* "$work/$t/corpus/" 2>/dev/null
    (cd "$work/$t" &&
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$OLDPWD/$exe" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
            -rss_limit_mb=2048 corpus >log 2>&1)
    rc=$?
    last=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$work/$t/log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log")
    result=clean
    if [ $rc -ne 0 ]; then result="FINDING (see $work/$t)"; status=1; fi
    printf '%-20s %8s %8s %12s %s\n' "$t" "${cov:-?}" "${ft:-?}" "${runs:-?}" "$result"
done
exit $status
