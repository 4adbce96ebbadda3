#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine: installs what is needed, builds twice
# (plain, and with ASan+UBSan), builds the .deb and the .rpm (lintian, rpmlint), runs every unit
# and integration test in both builds, the VM boots and the user's story from the .deb under a
# booted systemd in the plain build, checks the formatting, runs the fuzzers for a bounded time,
# and ends with one "N passed, N failed" line.
#   FUZZ_SECONDS   time per fuzz target (default 10; the corpora are kept in
#                  /var/cache/isoboot-tests/fuzz from run to run)
#   SKIP_ASAN=1    only the plain build (quicker, for development)
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC" || exit
export ISOBOOT_REQUIRE_ALL=${ISOBOOT_REQUIRE_ALL:-1}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
passed=0
failed=0
failures=()

# Each step says when it starts (seconds since the run began), for CI's time budget.
step() { printf '\n=== %s (at %d s)\n' "$*" "$SECONDS"; }
record() { # NAME RC
	if [ "$2" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}

step "dependencies"
bash tests/install-deps.sh || { echo "run-tests: cannot install dependencies"; echo "0 passed, 1 failed"; exit 1; }
step "test ISOs"
bash tests/fetch-isos.sh && bash tests/build-test-isos.sh >/dev/null
record "fetch and build test ISOs" $?
# Live ISOs made with live-build and dracut, cached outside the checkout (ISOBOOT_LIVE_CACHE).
bash tests/build-live-isos.sh
record "build the live test ISOs" $?
# A Debian 13 installer ISO in the netinst layout, from Debian's udebs (cached likewise).
bash tests/build-installer-iso.sh
record "build the installer test ISO" $?

step "clang-format"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests -name '*.[ch]')
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
record "clang-format" $?

step "shellcheck"
# Every shell script: the *.sh files, and the others whose first line is a sh or bash shebang.
scripts=()
while read -r f; do
	[ -f "$f" ] || continue
	case $f in
	*.sh) scripts+=("$f") ;;
	*) head -n1 "$f" | grep -qE '^#! */(usr/)?bin/(env +)?(ba)?sh( |$)' && scripts+=("$f") ;;
	esac
done < <(git ls-files 2>/dev/null || find .ci packaging tests -type f)
shellcheck -x "${scripts[@]}"
record "shellcheck" $?

step "packages"
bash packaging/build-deb.sh "$SRC/build-pkg/deb" | tail -3
record "Debian package (dpkg-buildpackage, lintian)" "${PIPESTATUS[0]}"
debs=("$SRC"/build-pkg/deb/isoboot_*.deb)
deb=
[ ! -e "${debs[0]}" ] || deb=${debs[0]}
bash packaging/build-rpm.sh "$SRC/build-pkg/rpm" | tail -3
record "RPM package (rpmbuild, rpmlint)" "${PIPESTATUS[0]}"

# meson_suite BUILDDIR [setup options]: builds and runs every test (but the suites in
# $NO_SUITES), adds meson's verdicts.
meson_suite() {
	local dir=$1; shift
	local skip=() s
	for s in ${NO_SUITES:-}; do skip+=(--no-suite "$s"); done
	step "build $dir $*"
	if [ ! -d "$dir" ]; then
		meson setup "$dir" "$@" >/dev/null || { record "meson setup $dir" 1; return; }
	elif [ $# -gt 0 ]; then
		meson configure "$dir" "$@" >/dev/null || { record "meson configure $dir" 1; return; }
	fi
	if ! ninja -C "$dir"; then
		record "build $dir" 1
		return
	fi
	step "tests in $dir"
	meson test -C "$dir" --print-errorlogs --num-processes 2 "${skip[@]}"
	local log=$dir/meson-logs/testlog.json
	local counts
	counts=$(python3 -c '
import json, sys
ok = bad = 0
names = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["result"] == "OK": ok += 1
    else: bad += 1; names.append(t["name"] + ":" + t["result"])
print(ok, bad, " ".join(names))' "$log")
	read -r ok bad names <<< "$counts"
	passed=$((passed + ok))
	failed=$((failed + bad))
	[ "$bad" = 0 ] || failures+=("$dir: $names")
}

# The Secure Boot test boots the live ISO to userland (a, about 5 min under TCG), is refused an
# unsigned kernel (b), and restarts into an ISO's own signed loader to its kernel (e, under
# 2 min); its cells c (b through the ProxyDHCP, which e also uses), d (Debian 12's GRUB, which
# has no HTTP), f (e refused an unsigned kernel, then back to the menu) and g (e with a CD image
# GRUB) run by hand: ISOBOOT_SB_CELLS="a b c d e f g".
# The boot matrix runs all its cells: each live family to userland on SeaBIOS and on OVMF.
ISOBOOT_SB_CELLS=${ISOBOOT_SB_CELLS-a b e} \
	meson_suite build -Dtest_deb="$deb"
# The system test checks the package, not this build: once is enough. Under the sanitizers:
# - the boot matrix boots one live ISO (g, BIOS), not the other live cells, nor the installer
#   cells (each takes minutes under TCG, and the daemons serve them the same way); not
#   memtest's two cells, which check memtest's screen by OCR (about 45 s each), not more of the
#   daemons than the others do; and big.iso on UEFI over iSCSI only (HTTP SAN: the HTTPS cell);
# - the HTTPS boot runs its first cell (the menu and the ISO over TLS): the others run the
#   menu's plain paths, which every other VM test runs too;
# - the Secure Boot test runs its cell b (the menu's grub.cfg and the files GRUB asks for,
#   about 75 s), not its live boot.
if [ "${SKIP_ASAN:-0}" != 1 ]; then
	ISOBOOT_SB_CELLS=${ISOBOOT_SB_CELLS-b} ISOBOOT_HTTPS_CELLS=${ISOBOOT_HTTPS_CELLS-a} ISOBOOT_MATRIX_CELLS=${ISOBOOT_MATRIX_CELLS-a e g} NO_SUITES="system installer" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false
fi

step "fuzzing, ${FUZZ_SECONDS}s per target"
fuzz_out=$(bash tests/fuzz/run-fuzzers.sh "$FUZZ_SECONDS" 2>&1)
echo "$fuzz_out"
while read -r line; do
	case $line in
	"fuzz "*": ok"*) record "${line%%:*}" 0 ;;
	"fuzz "*": FAIL"*) record "${line%%:*}" 1 ;;
	esac
done <<< "$fuzz_out"
grep -q '^fuzz ' <<< "$fuzz_out" || record "fuzzers built" 1

step "summary"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
