#!/bin/bash
# Boot storm benchmark: the storm of tests/integration/boot-storm.sh (N iSCSI sessions, a
# process each, and N HTTP clients, all connected at once, every byte checked) at a few sizes,
# against iperf3 on loopback in the same run as the ceiling. Prints, per size: aggregate MB/s and
# its share of the ceiling, the slowest client, the largest iSCSI process and the menu's peak
# resident set, and the errors (the goal is 0).
# Usage: storm-bench.sh [SIZES] [READS] [MAX_READ]   (a script, not a test)
#   defaults: "50 200", 40 reads a client, ranges up to 1 MiB
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${ISOBOOT_BUILD:-$SRC/build}
SIZES=${1:-50 200}
READS=${2:-40}
MAX_READ=${3:-$((1 << 20))}
[ -x "$BUILD/tests/storm" ] || { echo "build first: ninja -C $BUILD"; exit 1; }
command -v iperf3 >/dev/null || { echo "needs iperf3 (tests/install-deps.sh)"; exit 1; }
T=$(mktemp -d /tmp/isoboot-storm-bench-XXXXXX)
IPERF=
trap '[ -z "$IPERF" ] || kill "$IPERF" 2>/dev/null || true; rm -rf "$T"' EXIT

# The ceiling: iperf3 over loopback with as many streams as the machine has cores.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
IPERF=$!
sleep 0.5
ceiling=$(iperf3 -c 127.0.0.1 -p "$port" -t 5 -P "$(nproc)" -J |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8e6)')
IPERF=

printf '%-8s %10s %10s %9s %9s %12s %10s %7s\n' clients "MB/s" "ceiling" "slowest" \
	"at once" "iSCSI RSS" "menu RSS" errors
for n in $SIZES; do
	STORM_SESSIONS=$n STORM_CLIENTS=$n STORM_READS=$READS STORM_MAX_READ=$MAX_READ \
		ISOBOOT_REQUIRE_ALL=1 bash "$SRC/tests/integration/boot-storm.sh" >"$T/out.$n" 2>&1 || true
	python3 - "$T/out.$n" "$n" "$ceiling" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
n, ceiling = int(sys.argv[2]), float(sys.argv[3])
def field(kind, key):
    m = re.search(r"^# %s\s.*\b%s=([0-9.]+)" % (kind, key), text, re.M)
    return float(m.group(1)) if m else float("nan")
total = re.search(r"^# storm: \d+ clients, (\d+) errors, (\d+) bytes compared in ([0-9.]+) s", text, re.M)
procs = re.search(r"iSCSI processes at once: (\d+), largest resident set (\d+) kB; menu: (\d+) kB", text)
if not total or not procs:
    print("%-8d no result; see below\n%s" % (2 * n, text[-3000:]))
    sys.exit(0)
errors, nbytes, secs = int(total.group(1)), int(total.group(2)), float(total.group(3))
mbps = nbytes / secs / 1e6
slowest = max(field("iscsi", "slowest"), field("http", "slowest"))
print("%-8s %10.1f %9.1f%% %8.2fs %9s %9d kB %7d kB %7d" % (
    "%d+%d" % (n, n), mbps, 100 * mbps / ceiling, slowest, procs.group(1),
    int(procs.group(2)), int(procs.group(3)), errors))
if "check(s) failed" in text:
    print("  (the storm's checks failed:)")
    for line in text.splitlines():
        if line.startswith("FAIL"):
            print("   ", line)
PY
done
printf 'iperf3 loopback ceiling (%s streams): %.1f MB/s\n' "$(nproc)" "$ceiling"
