#!/bin/bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time, from
# seed corpora made of real ISOs and catalogs, and of tests/fuzz/seeds/<target>.
# Usage: run-fuzzers.sh [SECONDS_PER_TARGET]   (FUZZ_JOBS targets at a time, default: nproc)
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
ninja -C "$B" tests/fuzz/fuzz-iso9660 tests/fuzz/fuzz-medium tests/fuzz/fuzz-catalog tests/fuzz/fuzz-iscsi-pdu \
	tests/fuzz/fuzz-iscsi-text tests/fuzz/fuzz-scsi tests/fuzz/fuzz-http-range \
	tests/fuzz/fuzz-http-url tests/fuzz/fuzz-dhcp tests/fuzz/fuzz-bootcfg-syslinux \
	tests/fuzz/fuzz-bootcfg-grub tests/fuzz/fuzz-recipe tests/fuzz/fuzz-users \
	tests/fuzz/fuzz-web-request tests/fuzz/fuzz-sidecar tests/fuzz/fuzz-ident tests/fuzz/fuzz-efiboot \
	src/scan/isoboot-scan \
	> "$B/fuzz-build.log" 2>&1 ||
	{ tail -30 "$B/fuzz-build.log"; echo "fuzz build: FAIL"; exit 1; }

W=$CACHE/fuzz
# The corpora grow from run to run outside the checkout (CI clones afresh each time), so that a
# short run per target starts where the last one stopped.
CORPUS=${ISOBOOT_FUZZ_CORPUS:-/var/cache/isoboot-tests/fuzz}
mkdir -p "$CORPUS" 2>/dev/null && [ -w "$CORPUS" ] || CORPUS=$W
ALL_TARGETS="iso9660 medium catalog iscsi-pdu iscsi-text scsi http-range http-url dhcp bootcfg-syslinux
	bootcfg-grub recipe users web-request sidecar ident efiboot"
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS} # FUZZ_TARGETS="dhcp": only some
for t in $ALL_TARGETS; do mkdir -p "$W/seeds-$t" "$CORPUS/corpus-$t"; done
mkdir -p "$W/artifacts"
# ISO seeds: blocks 16 to 63 of every real and built image: descriptors, directories, catalogs.
for f in "$CACHE"/isos/*.iso "$CACHE"/built/*.iso; do
	[ -s "$f" ] || continue
	dd if="$f" of="$W/seeds-iso9660/$(basename "$f")" bs=2048 skip=16 count=48 status=none
	cp "$W/seeds-iso9660/$(basename "$f")" "$W/seeds-medium/"
done
# Catalog seeds: what isoboot-scan writes for those images; EFI system partition seeds: the
# first 128 KiB of the UEFI boot images their catalog records name.
i=0
for f in "$CACHE"/isos/*.iso "$CACHE"/built/*.iso; do
	[ -s "$f" ] || continue
	i=$((i + 1))
	"$B/src/scan/isoboot-scan" --config /dev/null --inspect "$f" > "$W/seeds-catalog/c$i" 2>/dev/null || true
	awk '$1 == "boot" && $2 == "uefi" { print $4 }' "$W/seeds-catalog/c$i" | while read -r rba; do
		dd if="$f" of="$W/seeds-efiboot/c$i-$rba" bs=2048 skip="$rba" count=64 status=none
	done
done

# iSCSI seeds: a logged-in session (mode byte 1) sending a few commands, and login texts.
seed_pdu() { # MODE HEX...: a seed made of a mode byte and PDUs given in hex
	local f=$1; shift
	printf '%b' "$(printf '%s' "$*" | sed 's/\(..\)/\\x\1/g')" > "$f"
}
bhs() { # OPCODE FLAGS ITT CMDSN CDB(hex, 16 bytes) DSL
	printf '%02x%02x0000' "$1" "$2"
	printf '00%06x' "$6"
	printf '0000000000000000%08x%08x%08x00000000%s' "$3" 2048 "$4" "$5"
}
seed_pdu "$W/seeds-iscsi-pdu/read" "01$(bhs 1 0xc0 1 0 28000000000000000100000000000000 0)"
seed_pdu "$W/seeds-iscsi-pdu/inquiry" "01$(bhs 1 0xc0 2 0 12010000ff0000000000000000000000 0)"
seed_pdu "$W/seeds-iscsi-pdu/nop" "01$(bhs 0 0x80 3 0 00000000000000000000000000000000 0)"
printf 'InitiatorName=iqn.x:y\0TargetName=iqn.a:b\0AuthMethod=CHAP,None\0CHAP_C=0x0102\0' > "$W/seeds-iscsi-text/login"
printf '\x12\x01\x80\x00\xff\x00' > "$W/seeds-scsi/inquiry"
# HTTP seeds: a size (8 bytes, little-endian) and a Range value; request paths.
printf '\x00\x10\x00\x00\x01\x00\x00\x00bytes=4294967296-' > "$W/seeds-http-range/big"
printf '\xe8\x03\x00\x00\x00\x00\x00\x00bytes=-500' > "$W/seeds-http-range/suffix"
printf '\xe8\x03\x00\x00\x00\x00\x00\x00bytes=0-1, 5-6' > "$W/seeds-http-range/multi"
printf '/iso/memtest86-x64-e3592784af74/memtest86%%2Bx64.iso' > "$W/seeds-http-url/iso"
printf '/iso/%%2e%%2e/../etc/passwd' > "$W/seeds-http-url/traversal"
# shellcheck disable=SC2016  # iPXE's ${platform}, literally
printf 'x ${platform} || #c' > "$W/seeds-http-url/text"
printf '\x00\x09\x28\x00\x00\x00\x00\x10\x00\x00\x04\x00' > "$W/seeds-scsi/read"
# DHCP seeds: PXE, UEFI and iPXE DHCPDISCOVERs and a port-4011 DHCPREQUEST (header, cookie, options).
dhcp_seed() { # FILE CIADDR(hex) OPTIONS(hex)
	{
		printf '\x01\x01\x06\x00\xde\xad\xbe\xef\x00\x00\x80\x00'
		printf '%b' "$(printf '%s' "$2" | sed 's/\(..\)/\\x\1/g')"
		head -c 12 /dev/zero
		printf '\x52\x54\x00\x12\x34\x56'
		head -c 202 /dev/zero
		printf '\x63\x82\x53\x63'
		printf '%b' "$(printf '%s' "$3" | sed 's/\(..\)/\\x\1/g')"
	} > "$1"
}
cls() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
dhcp_seed "$W/seeds-dhcp/bios" 00000000 "350101$(printf '3c%02x' 32)$(cls PXEClient:Arch:00000:UNDI:002001)5d020000611100$(cls 0123456789abcdef)ff"
dhcp_seed "$W/seeds-dhcp/efi" 00000000 "350101$(printf '3c%02x' 32)$(cls PXEClient:Arch:00007:UNDI:003016)5d020007ff"
dhcp_seed "$W/seeds-dhcp/ipxe" 00000000 "3501014d04$(cls iPXE)af0513010111015d020000$(printf '3c%02x' 32)$(cls PXEClient:Arch:00000:UNDI:002001)ff"
dhcp_seed "$W/seeds-dhcp/pxe-request" c0000264 "3501033604c0000201$(printf '3c%02x' 32)$(cls PXEClient:Arch:00007:UNDI:003016)5d020007ff"
# Boot configuration seeds: files of one configuration joined by "\n--FILE--\n", in the styles
# of live-build (isolinux and GRUB) and Fedora; recipe seeds: parameters, kernel, initrds.
printf 'include menu.cfg\ndefault vesamenu.c32\n\n--FILE--\ninclude live.cfg\nmenu begin advanced\ninclude stdmenu.cfg\nmenu end\n\n--FILE--\nlabel live-amd64\n\tmenu label ^Live system (amd64)\n\tmenu default\n\tlinux /live/vmlinuz\n\tinitrd /live/initrd.img\n\tappend boot=live components quiet splash\n' \
	> "$W/seeds-bootcfg-syslinux/live-build"
printf 'default vesamenu.c32\nlabel linux\n  kernel vmlinuz\n  append initrd=initrd.img root=live:CDLABEL=F rd.live.image quiet\nlabel check\n  menu default\n  kernel vmlinuz\n  append initrd=initrd.img root=live:CDLABEL=F rd.live.check\n' \
	> "$W/seeds-bootcfg-syslinux/fedora"
# shellcheck disable=SC2016  # GRUB's ${iso_path} and ${loopback}, literally
printf 'source /boot/grub/config.cfg\nif [ ${iso_path} ] ; then\nset loopback="findiso=${iso_path}"\nfi\nmenuentry "Live system (amd64)" --hotkey=l {\n\tlinux\t/live/vmlinuz boot=live components quiet splash ${loopback}\n\tinitrd\t/live/initrd.img\n}\nsubmenu "Utilities..." {\n\tsource /boot/grub/install.cfg\n}\n--FILE--\nset default=0\nset timeout=5\n' \
	> "$W/seeds-bootcfg-grub/live-build"
printf 'set default="1"\nfunction load_video {\n  insmod all_video\n}\nmenuentry '"'"'Start F'"'"' --class fedora {\n\tlinux /images/pxeboot/vmlinuz root=live:CDLABEL=F rd.live.image quiet\n\tinitrd /images/pxeboot/initrd.img\n}\n' \
	> "$W/seeds-bootcfg-grub/fedora"
printf 'boot=live components quiet findiso=/x.iso\nlive/vmlinuz\nlive/initrd.img\n' > "$W/seeds-recipe/live"
printf 'root=live:CDLABEL=F rd.live.image rd.live.check\nlive/vmlinuz\nlive/initrd.img\n' > "$W/seeds-recipe/dracut"
printf -- '--- quiet splash iso-scan/filename=/x.iso\ncasper/vmlinuz\ncasper/initrd\n' > "$W/seeds-recipe/casper"
printf 'archisobasedir=arch archisosearchuuid=2024-11-01\narch/boot/x86_64/vmlinuz-linux\narch/boot/x86_64/initramfs-linux.img\n' > "$W/seeds-recipe/archiso"

# run_target T: runs one target, leaves its verdict line in $W/T.verdict.
run_target() {
	local t=$1 rc=0 execs
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		timeout $((SECS + 120)) "$B/tests/fuzz/fuzz-$t" -max_total_time="$SECS" -max_len=131072 \
		-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$W/artifacts/$t-" "$CORPUS/corpus-$t" "$W/seeds-$t" "$SRC/tests/fuzz/seeds/$t" \
		> "$W/$t.log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$W/$t.log" | tail -n1)
	if [ "$rc" = 0 ]; then
		echo "fuzz $t: ok (${execs:-?} runs in ${SECS}s)"
	else
		echo "fuzz $t: FAIL (exit $rc), see $W/$t.log"
		grep -E 'ERROR|SUMMARY|runtime error' "$W/$t.log" | head -20 || true
	fi > "$W/$t.verdict"
}

# A target is one process on one core: as many at a time as there are cores (FUZZ_JOBS).
JOBS=${FUZZ_JOBS:-$(nproc)}
for t in $TARGETS; do
	rm -f "$W/$t.verdict"
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
	run_target "$t" &
done
wait
status=0
for t in $TARGETS; do
	if [ -s "$W/$t.verdict" ]; then cat "$W/$t.verdict"; else echo "fuzz $t: FAIL (no verdict)"; fi
	grep -q '^fuzz [^:]*: ok' "$W/$t.verdict" 2>/dev/null || status=1
done
exit $status
