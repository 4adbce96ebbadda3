#!/bin/bash
# Benchmark: rescan of a folder of N ISOs (default 1000), against blkid, which probes the same
# ISO 9660 superblocks, in the same run on the same files. Not a test: it prints a table.
# Usage: tests/bench/scan-bench.sh [N]     (needs a build in build/ and tests/build-test-isos.sh)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${ISOBOOT_CACHE:-$SRC/.cache}
SCAN=${ISOBOOT_BUILD:-$SRC/build}/src/scan/isoboot-scan
N=${1:-1000}
command -v hyperfine >/dev/null || { echo "scan-bench: needs hyperfine (apt-get install hyperfine)"; exit 1; }
[ -x "$SCAN" ] || { echo "scan-bench: build first (missing $SCAN)"; exit 1; }
bash "$SRC/tests/build-test-isos.sh" >/dev/null
W=$(mktemp -d /tmp/isoboot-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/iso" "$W/state"
# Real xorriso images, each its own file (sparse copies: little disk, but separate inodes), spread
# over 10 groups, mixing Rock Ridge, Joliet, plain and El Torito images.
srcs=("$CACHE"/built/layouts.iso "$CACHE"/built/joliet.iso "$CACHE"/built/plain.iso "$CACHE"/built/small.iso)
for g in $(seq 0 9); do mkdir -p "$W/iso/group$g"; done
for i in $(seq 1 "$N"); do
	cp --sparse=always "${srcs[$((i % ${#srcs[@]}))]}" "$W/iso/group$((i % 10))/image-$i.iso"
done
printf '[paths]\niso_dir = %s\nstate_dir = %s\n' "$W/iso" "$W/state" > "$W/c.conf"
"$SCAN" --config "$W/c.conf" 2>/dev/null
got=$(grep -c '^iso ' "$W/state/catalog")
[ "$got" = "$N" ] || { echo "scan-bench: catalogued $got of $N"; exit 1; }

hyperfine -N --warmup 2 --min-runs 10 --export-json "$W/h.json" \
	-n isoboot-scan "$SCAN --config $W/c.conf" \
	-n "blkid -p (peer)" "bash -c 'blkid -p -o value -s LABEL $W/iso/*/*.iso > /dev/null'" \
	> "$W/h.txt" 2>&1 || { cat "$W/h.txt"; exit 1; }
python3 - "$W/h.json" "$N" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
r = {x["command"]: x for x in d["results"]}
s, b = r["isoboot-scan"], r["blkid -p (peer)"]
print(f"{'tool':<18}{'mean ms':>10}{'stddev':>10}{'per ISO us':>12}")
for name, x in (("isoboot-scan", s), ("blkid -p (peer)", b)):
    print(f"{name:<18}{x['mean']*1e3:>10.1f}{x['stddev']*1e3:>10.1f}{x['mean']*1e6/n:>12.1f}")
print(f"ratio blkid/isoboot-scan: {b['mean']/s['mean']:.2f}x; {n} ISOs rescanned in {s['mean']*1e3:.1f} ms (target: well under 1000 ms)")
PY
