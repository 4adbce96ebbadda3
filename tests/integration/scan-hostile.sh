#!/bin/bash
# Hostile and broken files in the ISO folder: each is skipped with exactly one clear line, none
# stops the scan, good ISOs are still catalogued, and no file is ever modified.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd xorriso

GOOD=$(third_party_iso ipxe.iso)
mkdir -p "$TMP/iso" "$TMP/outside" "$TMP/state"
I=$TMP/iso
cp "$GOOD" "$I/good.iso"

# poke FILE OFFSET HEXBYTES: overwrite bytes in place.
poke() { printf '%b' "$(printf '%s' "$3" | sed 's/\(..\)/\\x\1/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

head -c $((1024 * 1024)) "$GOOD" > "$I/truncated.iso"
head -c $((1024 * 1024)) /dev/urandom > "$I/garbage.iso"
: > "$I/empty.iso"
cp "$GOOD" "$I/lying-pvd.iso"
poke "$I/lying-pvd.iso" $((16 * 2048 + 80)) ffffff7f
cp "$GOOD" "$I/catalog-past-end.iso"
poke "$I/catalog-past-end.iso" $((17 * 2048 + 0x47)) 00ffff00
cat_lba=$(od -An -tu4 -j $((17 * 2048 + 0x47)) -N4 "$GOOD" | tr -d ' ')
cp "$GOOD" "$I/bootimage-past-end.iso"
poke "$I/bootimage-past-end.iso" $((cat_lba * 2048 + 32 + 8)) 00ffff00
cp "$GOOD" "$I/bad-validation.iso"
poke "$I/bad-validation.iso" $((cat_lba * 2048 + 30)) 0000
cp "$GOOD" "$I/block512.iso"
poke "$I/block512.iso" $((16 * 2048 + 128)) 0002
cp "$GOOD" "$I/copy-in-progress.iso.part"
cp "$GOOD" "$I/download.iso.tmp"
cp "$GOOD" "$TMP/outside/secret.iso"
ln -s "$TMP/outside/secret.iso" "$I/escape.iso"
ln -s ../outside/secret.iso "$I/escape-relative.iso"
ln -s good.iso "$I/alias.iso"
mkfifo "$I/fifo.iso"
# A name that would forge a log line and drive the terminal, if logged raw.
FORGED=$'forged\nisoboot-scan: Added evil.iso\e[2J.iso.part'
cp "$GOOD" "$I/$FORGED"
cp "$GOOD" "$I/unreadable.iso"
chmod 000 "$I/unreadable.iso"

declare -A WHY=(
	[truncated.iso]="truncated: the volume is larger than the file"
	[garbage.iso]="not an ISO 9660 image"
	[empty.iso]="too small to be an ISO 9660 image"
	[lying-pvd.iso]="truncated: the volume is larger than the file"
	[catalog-past-end.iso]="boot catalog points past the end of the file"
	[bootimage-past-end.iso]="boot image lies past the end of the file"
	[bad-validation.iso]="invalid El Torito validation entry"
	[block512.iso]="logical block size is not 2048"
	[copy-in-progress.iso.part]="name marks an unfinished copy or download"
	[download.iso.tmp]="name marks an unfinished copy or download"
	[escape.iso]="symlink points outside the ISO folder"
	[escape-relative.iso]="symlink points outside the ISO folder"
	[fifo.iso]="not a regular file"
)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# Run as an unprivileged user, as the service does, so that mode 000 really is unreadable.
	WHY[unreadable.iso]="cannot open: Permission denied"
	chown -R nobody "$TMP/state"
	chmod 755 "$TMP"
	RUNAS=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
else
	rm -f "$I/unreadable.iso"
	RUNAS=()
fi

guard_isos "$I"
write_config "$TMP/c.conf" "$I" "$TMP/state"
rc=0
"${RUNAS[@]}" "$SCAN" --config "$TMP/c.conf" 2> "$TMP/log" || rc=$?
check "scan exits 0 despite hostile files" test "$rc" = 0
sed 's/^/# /' "$TMP/log"

for f in "${!WHY[@]}"; do
	n=$(grep -c -F "Skipping $f: " "$TMP/log" || true)
	check "$f skipped with exactly one line" test "$n" = 1
	check "$f: reason is '${WHY[$f]}'" grep -q -F "Skipping $f: ${WHY[$f]}" "$TMP/log"
done
CAT=$TMP/state/catalog
check "good.iso and its alias are catalogued" test "$(grep -c '^iso ' "$CAT")" = 2
check "alias.iso is catalogued" grep -qx 'path alias.iso' "$CAT"
check "no other file got in" test "$(grep '^path ' "$CAT" | sort | tr '\n' ' ')" = "path alias.iso path good.iso "
check "skip count in the summary" grep -q "$((${#WHY[@]} + 1)) files skipped" "$TMP/log"
check "a name with a newline and an escape is logged escaped, on one line" grep -qF \
	'Skipping forged\x0aisoboot-scan: Added evil.iso\x1b[2J.iso.part: name marks' "$TMP/log"
check "no raw escape character in the log" test "$(tr -cd '\033' <"$TMP/log" | wc -c)" = 0
check "no forged line in the log" test "$(grep -c '^isoboot-scan: Added evil' "$TMP/log")" = 0

# Random damage in the metadata of a real ISO: never a crash, never a hang (bounded: 60 images).
mkdir -p "$TMP/fuzz/iso"
for i in $(seq 1 60); do
	cp "$GOOD" "$TMP/fuzz/iso/m$i.iso"
	for j in 1 2 3 4 5 6 7 8; do
		# Offsets inside the descriptors, the root directory and the boot catalog (blocks 16-40).
		off=$(( (i * 7919 + j * 104729) % (25 * 2048) + 16 * 2048 ))
		poke "$TMP/fuzz/iso/m$i.iso" "$off" "$(printf '%02x' $(( (i * 31 + j * 17) % 256 )))"
	done
done
write_config "$TMP/f.conf" "$TMP/fuzz/iso" "$TMP/state"
rc=0
timeout 60 "$SCAN" --config "$TMP/f.conf" 2> "$TMP/flog" || rc=$?
check "60 damaged ISOs: scan exits 0 (rc=$rc)" test "$rc" = 0
seen=$(( $(grep -c '^iso ' "$TMP/state/catalog" || true) + $(grep -c 'Skipping m' "$TMP/flog" || true) ))
check "every damaged ISO is either catalogued or skipped ($seen)" test "$seen" = 60
finish
