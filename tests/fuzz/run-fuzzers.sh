#!/bin/bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time, from
# seed corpora made of real ISOs and catalogs. Usage: run-fuzzers.sh [SECONDS_PER_TARGET]
# Exit 0 when no target found a crash; prints one "fuzz <target>: ok|FAIL" line per target.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${ISOBOOT_CACHE:-$SRC/.cache}
SECS=${1:-60}
B=$SRC/build-fuzz
if [ ! -d "$B" ]; then
	CC=clang meson setup "$B" "$SRC" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dman=disabled >/dev/null
fi
ninja -C "$B" tests/fuzz/fuzz-iso9660 tests/fuzz/fuzz-catalog src/scan/isoboot-scan >/dev/null

W=$CACHE/fuzz
mkdir -p "$W/seeds-iso9660" "$W/seeds-catalog" "$W/corpus-iso9660" "$W/corpus-catalog" "$W/artifacts"
# ISO seeds: blocks 16 to 63 of every real and built image: descriptors, directories, catalogs.
for f in "$CACHE"/isos/*.iso "$CACHE"/built/*.iso; do
	[ -s "$f" ] || continue
	dd if="$f" of="$W/seeds-iso9660/$(basename "$f")" bs=2048 skip=16 count=48 status=none
done
# Catalog seeds: what isoboot-scan writes for those images.
i=0
for f in "$CACHE"/isos/*.iso "$CACHE"/built/*.iso; do
	[ -s "$f" ] || continue
	i=$((i + 1))
	"$B/src/scan/isoboot-scan" --config /dev/null --inspect "$f" > "$W/seeds-catalog/c$i" 2>/dev/null || true
done

status=0
for t in iso9660 catalog; do
	rc=0
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		timeout $((SECS + 120)) "$B/tests/fuzz/fuzz-$t" -max_total_time="$SECS" -max_len=131072 \
		-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$W/artifacts/$t-" "$W/corpus-$t" "$W/seeds-$t" \
		> "$W/$t.log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$W/$t.log" | tail -n1)
	if [ "$rc" = 0 ]; then
		echo "fuzz $t: ok (${execs:-?} runs in ${SECS}s)"
	else
		echo "fuzz $t: FAIL (exit $rc), see $W/$t.log"
		grep -E 'ERROR|SUMMARY|runtime error' "$W/$t.log" | head -20 || true
		status=1
	fi
done
exit $status
