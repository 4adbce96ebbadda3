#!/bin/bash
# isoboot-scan as a program: configuration errors as file:line, command line, failure paths, the
# atomic catalog under a concurrent reader, and structured journal fields.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

GOOD=$(third_party_iso memtest86+x64.iso)
mkdir -p "$TMP/iso" "$TMP/state"
cp "$GOOD" "$TMP/iso/"
guard_isos "$TMP/iso"

# expect_fail DESCRIPTION EXIT NEEDLE -- ARGS: runs the scan, checks exit code and message.
expect_fail() {
	local what=$1 want_rc=$2 needle=$3 rc=0; shift 4
	"$SCAN" "$@" > "$TMP/out" 2> "$TMP/err" || rc=$?
	check "$what: exit $want_rc (got $rc)" test "$rc" = "$want_rc"
	check "$what: says '$needle'" grep -q -F -- "$needle" "$TMP/err"
	{ [ "$rc" = "$want_rc" ] && grep -q -F -- "$needle" "$TMP/err"; } || sed 's/^/# /' "$TMP/err"
}

printf '[paths]\niso_dir = %s\nstate_dir = %s\n[menu]\ntimeout = soon\nfoo = bar\n' "$TMP/iso" "$TMP/state" > "$TMP/bad.conf"
expect_fail "bad value" 1 "$TMP/bad.conf:5: timeout must be" -- --config "$TMP/bad.conf"
expect_fail "unknown key (also reported)" 1 "$TMP/bad.conf:6: unknown key 'foo' in section [menu]" -- --config "$TMP/bad.conf"
expect_fail "missing explicit config" 1 "$TMP/none.conf:0: cannot read the configuration file: No such file or directory" -- --config "$TMP/none.conf"
expect_fail "config is a directory" 1 "$TMP/state:0: cannot read the configuration file" -- --config "$TMP/state"
expect_fail "unknown option" 2 "Usage:" -- --bogus
expect_fail "stray argument" 2 "Usage:" -- stray
write_config "$TMP/noiso.conf" "$TMP/does-not-exist" "$TMP/state"
expect_fail "missing ISO folder" 1 "Cannot scan the ISO folder $TMP/does-not-exist: No such file or directory" -- --config "$TMP/noiso.conf"
write_config "$TMP/nostate.conf" "$TMP/iso" "$TMP/no-state"
expect_fail "missing state folder" 1 "Cannot write the catalog $TMP/no-state/catalog: No such file or directory" -- --config "$TMP/nostate.conf"
check "no catalog was written into a missing folder" test ! -e "$TMP/no-state"

check "the shipped assets/isoboot.conf is valid" "$SCAN" --config "$SRC/assets/isoboot.conf" --inspect "$GOOD"
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state"
check "--help exits 0" "$SCAN" --help
check "--version prints the version" grep -q '^isoboot-scan [0-9]' <("$SCAN" --version)
"$SCAN" --config "$TMP/c.conf" --stdout > "$TMP/stdout.cat" 2>/dev/null
check "--stdout prints a catalog" grep -qx 'end 1' "$TMP/stdout.cat"
check "--stdout writes no file" test ! -e "$TMP/state/catalog"

# A previous catalog that is damaged is replaced, with a warning that names the line.
printf 'ISOBOOT-CATALOG 1\niso x\n' > "$TMP/state/catalog"
"$SCAN" --config "$TMP/c.conf" 2> "$TMP/err"
check "a damaged catalog is reported with its line" grep -q "$TMP/state/catalog:2: previous catalog is not valid" "$TMP/err"
check "and replaced" grep -qx 'end 1' "$TMP/state/catalog"

# Readers never see half a catalog: 150 rescans that each change it, against a reader.
for i in $(seq 1 40); do ln -s memtest86+x64.iso "$TMP/iso/link$i.iso"; done
(
	end=$((SECONDS + 60))
	for i in $(seq 1 150); do
		[ $SECONDS -lt $end ] || break
		if [ $((i % 2)) = 1 ]; then
			mv "$TMP/iso/link1.iso" "$TMP/iso/moved.iso" || true
		else
			mv "$TMP/iso/moved.iso" "$TMP/iso/link1.iso" || true
		fi
		"$SCAN" --config "$TMP/c.conf" 2>/dev/null || echo "scan failed" >> "$TMP/writer.err"
	done
	touch "$TMP/writer.done"
) &
writer=$!
bad=0 reads=0
for _ in $(seq 1 5000); do
	[ -e "$TMP/writer.done" ] && break
	if [ -e "$TMP/state/catalog" ]; then
		c=$(cat "$TMP/state/catalog")
		reads=$((reads + 1))
		# Complete means: the header, then as many records as the closing "end N" line says.
		n=$(grep -c '^iso ' <<< "$c" || true)
		case $c in
		ISOBOOT-CATALOG*"end $n") ;;
		*) bad=$((bad + 1)) ;;
		esac
	fi
done
wait "$writer" || true
check "concurrent reader: $reads reads, none partial" test "$bad" = 0 -a "$reads" -gt 10
check "no rescan failed" test ! -e "$TMP/writer.err"
check "no temporary files left in the state folder" test "$(ls -A "$TMP/state")" = catalog

# Structured journal entries: run the scan as systemd would (stderr connected to the journal),
# with the journal's socket replaced, in a private mount namespace, by a listener of ours.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v socat >/dev/null; then
	rm -f "$TMP/iso/link"*.iso
	ln -s /etc/passwd "$TMP/iso/escape.iso"
	rm -f "$TMP/state/catalog"
	touch "$TMP/stderr"
	js=$(stat -c '%d:%i' "$TMP/stderr")
	# shellcheck disable=SC2016  # the inner bash expands its own variables
	unshare --mount --propagation private bash -c '
		set -e
		mount -t tmpfs tmpfs /run
		mkdir -p /run/systemd/journal
		timeout 20 socat -u UNIX-RECV:/run/systemd/journal/socket CREATE:'"$TMP"'/journal.bin &
		for _ in $(seq 1 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
		JOURNAL_STREAM='"$js"' '"$SCAN"' --config '"$TMP"'/c.conf 2>>'"$TMP"'/stderr
		# The summary is the last entry: wait for socat to have written it (a loaded machine
		# may take a while), then a little more for its last bytes.
		for _ in $(seq 1 100); do grep -aq "^ISOBOOT_ISOS=" '"$TMP"'/journal.bin && break; sleep 0.1; done
		sleep 0.3
		kill %1 2>/dev/null || true
	'
	J=$TMP/journal.bin
	check "entries went to the journal, not stderr" test ! -s "$TMP/stderr" -a -s "$J"
	check "skip entry has MESSAGE_ID" grep -aq '^MESSAGE_ID=c5f41a2b67ad41c581c6e8f563105e0c$' "$J"
	check "skip entry has ISOBOOT_ISO" grep -aq '^ISOBOOT_ISO=escape.iso$' "$J"
	check "skip entry has ISOBOOT_REASON" grep -aq '^ISOBOOT_REASON=symlink points outside the ISO folder$' "$J"
	check "skip entry has PRIORITY=4" grep -aq '^PRIORITY=4$' "$J"
	check "summary has its MESSAGE_ID" grep -aq '^MESSAGE_ID=8f57714b24514b04a453382acdec223a$' "$J"
	check "summary carries the counts" grep -aq '^ISOBOOT_ISOS=1$' "$J"
	check "identifier is isoboot-scan" grep -aq '^SYSLOG_IDENTIFIER=isoboot-scan$' "$J"
	check "added ISO entry" grep -aq '^ISOBOOT_EVENT=added$' "$J"
else
	skip "journal check needs root, unshare and socat"
fi
finish
