#!/bin/bash
# The units as `meson install` writes them: `systemd-analyze verify` has nothing to say about any
# of them, `systemd-analyze security --offline=true` rates the services (<= 2.0 for everything
# that runs as the isoboot user; tftpd starts as root to chroot and drop privileges, and needs
# the host's network to answer, so its bound is 2.5), and the TFTP root's bind mounts point at
# files this Debian host really has. tests/system/story.sh checks the same units as the
# package installs them, under a booted systemd.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd systemd-analyze meson
DEST=$TMP/dest
DESTDIR=$DEST meson install -C "$BUILD" --quiet --no-rebuild >"$TMP/install.log" 2>&1 ||
	{ cat "$TMP/install.log"; fail "meson install"; finish; }
unitdir=$(find "$DEST" -type f -name isoboot.target -printf '%h\n' | head -1)
[ -n "$unitdir" ] || { fail "no isoboot.target installed"; finish; }
sbindir=$(find "$DEST" -type f -name isoboot-menu -printf '%h\n' | head -1)
prefix_sbindir=${sbindir#"$DEST"}

# verify checks that ExecStart= binaries exist: point them at the installed copies.
mkdir -p "$TMP/units"
for f in "$unitdir"/isoboot*; do
	sed "s|$prefix_sbindir/|$sbindir/|g" "$f" >"$TMP/units/$(basename "$f")"
done
n=$(find "$TMP/units" -type f | wc -l)
if (cd "$TMP/units" && systemd-analyze verify --man=no ./*) >"$TMP/verify.log" 2>&1 && ! grep -q . "$TMP/verify.log"; then
	pass "systemd-analyze verify: $n units, no message"
else
	cat "$TMP/verify.log"
	fail "systemd-analyze verify"
fi

for u in "$TMP"/units/*.service; do
	name=$(basename "$u")
	limit=2.0
	[ "$name" = isoboot-tftp.service ] && limit=2.5
	score=$(systemd-analyze security --offline=true --no-pager "$u" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	log "$name: exposure ${score:-?}"
	check "$name exposure ${score:-?} <= $limit" awk -v s="${score:-99}" -v l="$limit" 'BEGIN { exit !(s <= l) }'
done

# The boot files the TFTP root bind-mounts exist here (a Debian build), and are not symlinks
# into nowhere once bound. An optional one ("-SRC", ipxe-arm64.efi: Debian 13's ipxe has it,
# Debian 12's not) may be missing; it must still be an absolute path.
while read -r src; do
	case $src in
	-/*) log "optional TFTP root source ${src#-}: $(test -e "${src#-}" && echo present || echo absent)" ;;
	*) check "TFTP root source $src exists" test -e "$src" ;;
	esac
done < <(sed -n 's/^BindReadOnlyPaths=\(-\{0,1\}[^:]*\):.*/\1/p' "$TMP/units/isoboot-tftp.service" |
	sed "s|^\(-\{0,1\}\)$(dirname "$prefix_sbindir")/share|\1$DEST$(dirname "$prefix_sbindir")/share|")
check "the TFTP root offers ipxe-arm64.efi, optionally" \
	grep -qE '^BindReadOnlyPaths=-/[^:]+:/run/isoboot/tftp/ipxe-arm64.efi$' "$TMP/units/isoboot-tftp.service"
# The Secure Boot chain: shim and GRUB where installed, GRUB's first configuration always.
for f in shimx64.efi grubx64.efi; do
	check "the TFTP root offers $f, optionally" \
		grep -qE "^BindReadOnlyPaths=-/[^:]+:/run/isoboot/tftp/$f\$" "$TMP/units/isoboot-tftp.service"
done
check "the TFTP root has grub/grub.cfg" \
	grep -qE '^BindReadOnlyPaths=/[^:]+/tftp/grub:/run/isoboot/tftp/grub$' "$TMP/units/isoboot-tftp.service"

# Every man page a unit cites is installed.
while read -r m; do
	page=${m#man:}
	sec=${page##*(}
	sec=${sec%)}
	page=${page%(*}
	case $page in isoboot*) ;; *) continue ;; esac
	check "man page $page($sec) cited by a unit is installed" \
		test -n "$(find "$DEST" -path "*/man$sec/$page.$sec*" | head -1)"
done < <(grep -ho 'man:[a-z.-]*([0-9])' "$TMP"/units/* | sort -u)

# Socket activation matters: the sockets must match what the daemons expect.
check "isoboot-iscsi.socket is Accept=yes (one process per connection)" grep -qx 'Accept=yes' "$TMP/units/isoboot-iscsi.socket"
check "isoboot-menu.socket is Accept=no (isoboot-menu refuses accepted sockets)" grep -qx 'Accept=no' "$TMP/units/isoboot-menu.socket"
check "isoboot-tftp.service takes the socket on stdin (in.tftpd inetd mode)" grep -qx 'StandardInput=socket' "$TMP/units/isoboot-tftp.service"
check "isoboot-menu.socket names its socket http" grep -qx 'FileDescriptorName=http' "$TMP/units/isoboot-menu.socket"
check "isoboot-menu-https.socket: port 443, Accept=no, named https, for isoboot-menu.service" sh -c "
	grep -qx 'ListenStream=443' '$TMP/units/isoboot-menu-https.socket' &&
	grep -qx 'Accept=no' '$TMP/units/isoboot-menu-https.socket' &&
	grep -qx 'FileDescriptorName=https' '$TMP/units/isoboot-menu-https.socket' &&
	grep -qx 'Service=isoboot-menu.service' '$TMP/units/isoboot-menu-https.socket'"
check "isoboot.target does not pull in the HTTPS socket (port 443 is the admin's choice)" \
	sh -c "! grep -q 'isoboot-menu-https' '$TMP/units/isoboot.target'"
check "isoboot-web.socket is Accept=no (isoboot-web refuses accepted sockets)" grep -qx 'Accept=no' "$TMP/units/isoboot-web.socket"
check "isoboot-web.socket listens on TCP port 8443" grep -qx 'ListenStream=8443' "$TMP/units/isoboot-web.socket"
check "isoboot.target does not pull in the admin page (opt-in)" \
	bash -c "! grep -q isoboot-web '$TMP/units/isoboot.target'"
check "isoboot-web.service opens only the sockets it needs" \
	grep -qx 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' "$TMP/units/isoboot-web.service"
check "isoboot-web.service writes only under /var/lib/isoboot" grep -qx 'ReadWritePaths=/var/lib/isoboot' "$TMP/units/isoboot-web.service"
# The packages follow the list of services in meson.build: what they restart on upgrade is that
# list's (units/restart-on-upgrade in the build), the RPM's unit list is every installed unit
# but the template, and its presets are the units that can be enabled.
# units FILE START: the unit names after START on its first line that is not a comment, and on
# the lines it continues with "\".
units() {
	awk -v start="$2" '
		!on && !/^[ \t]*#/ && index($0, start) { on = 1; sub(".*" start, "") }
		on { c = sub(/\\$/, ""); print; if (!c) exit }' "$1" | tr -s ' \t' '\n' |
		grep -E '^[a-z0-9@.-]+[.](service|socket|target|path|timer)$' | sort
}
sorted() { tr -s ' \t' '\n' | grep . | sort; }
restart=$(sorted <"$BUILD/units/restart-on-upgrade")
deb_restart=$(units "$SRC/packaging/debian/isoboot.postinst" "deb-systemd-invoke restart")
rpm_restart=$(units "$SRC/packaging/rpm/isoboot.spec" "%systemd_postun_with_restart")
log "restarted on upgrade: $(tr '\n' ' ' <<<"$restart")"
check "the Debian postinst restarts the services meson.build says" test -n "$restart" -a "$deb_restart" = "$restart"
check "the RPM spec restarts the services meson.build says" test "$rpm_restart" = "$restart"
installed=$(find "$TMP/units" -type f ! -name '*@.*' -printf '%f\n' | sort)
rpm_units=$(units "$SRC/packaging/rpm/isoboot.spec" "%global isoboot_units")
check "the RPM spec's isoboot_units are the installed units, but the template" test "$rpm_units" = "$installed"
enableable=$(cd "$TMP/units" && grep -l '^\[Install\]' ./* | sed 's|^\./||' | sort)
rpm_presets=$(units "$SRC/packaging/rpm/isoboot.spec" "%systemd_post ")
check "the RPM spec presets the units that have an [Install] section" test "$rpm_presets" = "$enableable"
finish
