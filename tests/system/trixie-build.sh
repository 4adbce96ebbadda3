#!/bin/bash
# isoboot on Debian 13 (trixie), built from this checkout in a trixie tree (this machine and CI
# are Debian 12: trixie's compiler, libraries, debhelper and lintian are checked only here):
#   1. a minbase trixie with the Build-Depends of packaging/debian/control, lintian and
#      build-essential (debootstrap, then apt-get build-dep in it; made once and cached outside
#      the checkout, which CI clones afresh, and made again when the package list changes or the
#      tree is older than ISOBOOT_TRIXIE_MAX_AGE days, as its package lists go stale);
#   2. per run, a copy of the source (the files git knows and new files it does not ignore, as
#      packaging/build-deb.sh takes them; in CI's clone, the commit) built in that tree, which
#      systemd-nspawn runs over a throwaway overlay (--volatile=overlay: the cache is never
#      changed by a run), the source and the build outputs in a folder bound into it:
#      meson setup with warning_level=3 and werror, ninja, `meson test --suite unit`, and HTTP
#      Basic logins to isoboot-web (libmicrohttpd 1.0's API, not Debian 12's);
#   3. the .deb by packaging/build-deb.sh (dpkg-buildpackage, with the unit suite again under
#      Debian's hardening flags, and lintian, which fails on errors);
#   4. `apt-get install ./isoboot_*.deb` in the tree, so that its Depends resolve in trixie, and
#      every file meson installs (binaries, units, ...) in `dpkg -L isoboot`; the binaries run,
#      what the units start and bind exists, and trixie's `systemd-analyze verify` is silent.
# No daemon listens on this machine's network (isoboot-web's logins run in a network namespace of
# the tree's own); the only traffic out is the Debian mirror's.
#
# Environment:
#   ISOBOOT_MIRROR             Debian mirror (default: the bookworm one of the apt configuration,
#                              else http://deb.debian.org/debian)
#   ISOBOOT_TRIXIE_BUILD_CACHE the cached tree (default /var/cache/isoboot-tests/trixie-build)
#   ISOBOOT_TRIXIE_MAX_AGE     days before the tree is made again (default 30)
#   ISOBOOT_JOBS               parallel jobs of the builds and tests in the tree (default 2)
#   ISOBOOT_SYSTEM_LOGS        where logs go (default $BUILD/tests/system-logs/trixie-build)
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/apt-mirror.sh
. "$(dirname "$0")/../lib/apt-mirror.sh"

need_root
for c in debootstrap systemd-nspawn flock git; do
	command -v "$c" >/dev/null 2>&1 || skip "needs $c"
done
[ -s /usr/share/keyrings/debian-archive-keyring.gpg ] || skip "needs debian-archive-keyring"

CACHE_DIR=${ISOBOOT_TRIXIE_BUILD_CACHE:-/var/cache/isoboot-tests/trixie-build}
MAX_AGE=${ISOBOOT_TRIXIE_MAX_AGE:-30}
JOBS=${ISOBOOT_JOBS:-2}
LOGS=${ISOBOOT_SYSTEM_LOGS:-$BUILD/tests/system-logs/trixie-build}
BASE=$CACHE_DIR/root
# Added to the Build-Depends: dpkg-buildpackage's own needs and the package check.
EXTRA_PKGS=(build-essential dpkg-dev lintian)
rm -rf "$LOGS"
mkdir -p "$LOGS" "$CACHE_DIR"
trap 'exit 130' INT TERM

now() { date +%s; }
# control_field NAME: the field's value in packaging/debian/control (the first stanza that has
# it), on one line, without the comment lines dpkg allows inside it.
control_field() {
	awk -v f="$1" '
		/^#/ { next }
		in_f && /^[ \t]/ { v = v " " $0; next }
		in_f { exit }
		tolower($0) ~ "^" tolower(f) ":" { in_f = 1; v = substr($0, length(f) + 2) }
		END { gsub(/[ \t]+/, " ", v); sub(/^ /, "", v); print v }' "$SRC/packaging/debian/control"
}
# step_failed WHAT LOG: the end of the log, a failure naming the log, and the end of the test
# (each step needs the previous one).
step_failed() {
	tail -30 "$2"
	fail "$1 (log: $2)"
	finish
}

# Runs one at a time: two runs would make the cache or bind its apt archives at once.
exec 9>"$CACHE_DIR/lock"
flock -w 7200 9 || { fail "another run holds $CACHE_DIR/lock"; finish; }

# --- 1. The trixie tree, made once per package list.
build_depends=$(control_field Build-Depends)
[ -n "$build_depends" ] || { fail "no Build-Depends in packaging/debian/control"; finish; }
# Version 1 of the recipe below; change it when the recipe changes.
stamp=$(printf 'recipe 1\n%s\n%s\n' "$build_depends" "${EXTRA_PKGS[*]}" | sha256sum | cut -d' ' -f1)
fresh=0
if [ -x "$BASE/usr/bin/apt-get" ] && [ "$(cat "$CACHE_DIR/stamp" 2>/dev/null)" = "$stamp" ] &&
	[ -n "$(find "$CACHE_DIR/stamp" -mtime -"$MAX_AGE")" ]; then
	fresh=1
fi
if [ "$fresh" = 0 ]; then
	mirror=${ISOBOOT_MIRROR:-$(apt_mirror || true)}
	mirror=${mirror:-http://deb.debian.org/debian}
	log "making the trixie tree in $BASE from $mirror (Build-Depends: $build_depends)"
	t0=$(now)
	rm -f "$CACHE_DIR/stamp"
	# debootstrap mounts /proc and /sys (and, in a container, binds /dev) in the tree: never
	# remove one that a killed run left mounted.
	if grep -qE " ($BASE|$BASE\.partial)/" /proc/mounts; then
		fail "mounts left under $BASE or $BASE.partial (see /proc/mounts)"
		finish
	fi
	rm -rf --one-file-system "$BASE.partial" "$CACHE_DIR/archives"
	if ! timeout 1800 debootstrap --variant=minbase trixie "$BASE.partial" "$mirror" \
		>"$LOGS/debootstrap.log" 2>&1; then
		step_failed "debootstrap trixie from $mirror" "$LOGS/debootstrap.log"
	fi
	# apt-get build-dep reads the Build-Depends (alternatives, versions) from a source tree.
	mkdir -p "$TMP/bd"
	cp -a "$SRC/packaging/debian" "$TMP/bd/debian"
	if ! timeout -k 10 2400 systemd-nspawn -q -D "$BASE.partial" --register=no --keep-unit \
		--resolv-conf=copy-host --setenv=DEBIAN_FRONTEND=noninteractive --bind-ro="$TMP/bd:/bd" \
		sh -ec "apt-get update
			apt-get build-dep -y --no-install-recommends /bd
			apt-get install -y --no-install-recommends ${EXTRA_PKGS[*]}
			apt-get clean" >"$LOGS/build-deps.log" 2>&1; then
		step_failed "the build dependencies in the trixie tree" "$LOGS/build-deps.log"
	fi
	rm -rf --one-file-system "$BASE"
	mv "$BASE.partial" "$BASE"
	echo "$stamp" >"$CACHE_DIR/stamp"
	pass "made the trixie tree with the build dependencies ($(($(now) - t0)) s)"
fi
# The packages that installing the .deb downloads (its Depends), kept from run to run.
mkdir -p "$CACHE_DIR/archives/partial"

# in_tree SECONDS LOG COMMAND...: runs COMMAND in the tree, over a throwaway overlay, with the
# work folder at /w; output to LOG.
W=$TMP/w
mkdir -p "$W"
in_tree() {
	local secs=$1 out=$2
	shift 2
	timeout -k 10 "$secs" systemd-nspawn -q -D "$BASE" --register=no --keep-unit \
		--volatile=overlay --resolv-conf=copy-host --bind="$W:/w" \
		--bind="$CACHE_DIR/archives:/var/cache/apt/archives" \
		--setenv=DEBIAN_FRONTEND=noninteractive --setenv=LC_ALL=C.UTF-8 \
		--setenv=ISOBOOT_JOBS="$JOBS" --chdir=/w "$@" >"$out" 2>&1
}
log "trixie tree: $(sed -n 's/^PRETTY_NAME="\(.*\)"$/\1/p' "$BASE/etc/os-release"), made $(date -r "$CACHE_DIR/stamp" '+%F %R')"

# --- 2. The source, as build-deb.sh takes it: in CI's fresh clone, exactly the commit.
t_run=$(now)
mkdir -p "$W/src"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d "" f; do if [ -e "$f" ]; then printf "%s\0" "$f"; fi; done |
	tar --null -T - -cf -) | tar -C "$W/src" -xf - ||
	{ fail "copying the source from $SRC"; finish; }

t0=$(now)
in_tree 300 "$LOGS/meson-setup.log" meson setup /w/build /w/src -Dwarning_level=3 -Dwerror=true ||
	step_failed "meson setup on trixie" "$LOGS/meson-setup.log"
in_tree 1800 "$LOGS/ninja.log" ninja -C /w/build -j "$JOBS" ||
	step_failed "ninja on trixie (warning_level=3, werror)" "$LOGS/ninja.log"
pass "meson setup and ninja with warning_level=3 and werror=true ($(($(now) - t0)) s)"
t0=$(now)
in_tree 1200 "$LOGS/unit.log" meson test -C /w/build --suite unit --num-processes "$JOBS" \
	--print-errorlogs || step_failed "meson test --suite unit on trixie" "$LOGS/unit.log"
pass "meson test --suite unit: $(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$LOGS/unit.log") tests OK ($(($(now) - t0)) s)"

# HTTP Basic logins to isoboot-web: the one call whose libmicrohttpd API differs between Debian
# 12 (0.9.75) and 13 (1.0), which only the integration suite (Debian 12) exercises otherwise. On
# the tree's own loopback (--private-network).
cat >"$W/basic-auth.sh" <<-'EOF'
	set -eu
	d=/tmp/auth
	mkdir -p $d/iso $d/state
	printf '[paths]\niso_dir = %s/iso\nstate_dir = %s/state\n[web]\nusers = %s/users\nassets = %s\n' \
		$d $d $d /w/src/assets/web >$d/c.conf
	printf 'correct horse\n' | /w/build/src/web/isoboot-passwd --config $d/c.conf admin >/dev/null
	timeout 120 /w/build/src/web/isoboot-web --config $d/c.conf --listen 127.0.0.1:8443 &
	python3 /w/basic-auth.py
EOF
cat >"$W/basic-auth.py" <<-'EOF'
	import base64, socket, ssl, sys, time, urllib.error, urllib.request
	for _ in range(100):
	    try:
	        socket.create_connection(("127.0.0.1", 8443), 1).close()
	        break
	    except OSError:
	        time.sleep(0.1)
	ctx = ssl.create_default_context()
	ctx.check_hostname = False
	ctx.verify_mode = ssl.CERT_NONE  # the certificate isoboot-web has just made for itself
	def status(cred):
	    rq = urllib.request.Request("https://127.0.0.1:8443/api/isos")
	    if cred is not None:
	        rq.add_header("Authorization", "Basic " + base64.b64encode(cred).decode())
	    try:
	        return urllib.request.urlopen(rq, context=ctx, timeout=10).status
	    except urllib.error.HTTPError as e:
	        return e.code
	bad = 0
	# The wrong password last: a failure delays the next login from the same address.
	for what, cred, want in [
	    ("no credentials", None, 401),
	    ("the right password", b"admin:correct horse", 200),
	    ("the right password, then a NUL and more", b"admin:correct horse\0x", 401),
	    ("a NUL inside the name", b"admin\0x:correct horse", 401),
	    ("a wrong password", b"admin:wrong", 401),
	]:
	    got = status(cred)
	    print("%s: %s: %d (want %d)" % ("ok" if got == want else "FAIL", what, got, want))
	    bad += got != want
	sys.exit(1 if bad else 0)
EOF
t0=$(now)
in_tree 300 "$LOGS/basic-auth.log" --private-network sh /w/basic-auth.sh ||
	step_failed "HTTP Basic logins to isoboot-web on trixie's libmicrohttpd" "$LOGS/basic-auth.log"
pass "HTTP Basic logins to isoboot-web on trixie's libmicrohttpd: $(grep -c '^ok: ' "$LOGS/basic-auth.log") cases ($(($(now) - t0)) s)"

# --- 3. The package and lintian.
t0=$(now)
rc=0
in_tree 2400 "$LOGS/build-deb.log" /w/src/packaging/build-deb.sh /w/deb || rc=$?
cp "$W/deb/build.log" "$LOGS/dpkg-buildpackage.log" 2>/dev/null || true
cp "$W/deb/lintian.log" "$LOGS/lintian.log" 2>/dev/null || true
[ "$rc" = 0 ] || step_failed "packaging/build-deb.sh on trixie (dpkg-buildpackage: $LOGS/dpkg-buildpackage.log)" \
	"$LOGS/build-deb.log"
debs=("$W"/deb/isoboot_*.deb)
[ -s "${debs[0]}" ] || { fail "build-deb.sh made no .deb (log: $LOGS/build-deb.log)"; finish; }
DEB=${debs[0]##*/}
cp "$W/deb/$DEB" "$LOGS/"
pass "dpkg-buildpackage and lintian without errors: $DEB ($(($(now) - t0)) s)"
# build-deb.sh fails on lintian's errors only; trixie's lintian, the one a maintainer runs now,
# must not warn either.
check "trixie's lintian: no warnings" test -z "$(grep -E '^W: ' "$LOGS/lintian.log")"
grep -E '^[WE]: ' "$LOGS/lintian.log" || true

# --- 4. Installed with apt in the tree: its Depends from trixie, every file meson installs.
# The files meson installs, from the package's own build: man pages are compressed by
# dh_compress.
cat >"$W/check-installed.sh" <<-'EOF'
	set -eu
	obj=$(echo /w/deb/isoboot-*/obj-*)
	meson introspect --installed "$obj" | python3 -c '
	import json, sys
	for p in sorted(json.load(sys.stdin).values()): print(p)' >/w/expected.txt
	dpkg -L isoboot >/w/dpkg-L.txt
	while read -r p; do
		if grep -qxF "$p" /w/dpkg-L.txt && [ -f "$p" ]; then echo "ok $p"
		elif grep -qxF "$p.gz" /w/dpkg-L.txt && [ -f "$p.gz" ]; then echo "ok $p.gz"
		else echo "missing $p"; fi
	done </w/expected.txt >/w/installed.txt
	# Each binary runs, its libraries found on trixie.
	for b in $(grep -E '/s?bin/' /w/expected.txt); do
		if "$b" --help >/dev/null 2>&1; then echo "runs $b"; else echo "fails $b"; fi
	done >>/w/installed.txt
	# What the units start and bind (in.tftpd, the boot files) where trixie's packages put them;
	# a "-" source is optional.
	units=$(grep -E '/systemd/system/[^/]+$' /w/expected.txt)
	sed -n 's/^ExecStart=[-@+!:]*\([^ ]*\).*/\1/p; s/^BindReadOnlyPaths=\([^-][^:]*\):.*/\1/p' $units |
		sort -u | while read -r f; do
			if [ -e "$f" ]; then echo "present $f"; else echo "absent $f"; fi
		done >>/w/installed.txt
	# Trixie's systemd on the units: no message at all.
	(cd "$(dirname "$(echo "$units" | head -n1)")" &&
		systemd-analyze verify --man=no $(echo "$units" | xargs -n1 basename)) >/w/verify.txt 2>&1 ||
		echo "verify failed" >>/w/verify.txt
EOF
t0=$(now)
# No daemon may start while installing (tftpd-hpa's init script would, on this host's network:
# the tree shares it).
if ! in_tree 900 "$LOGS/install.log" sh -ec "printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		apt-get install -y --no-install-recommends /w/deb/$DEB
		sh /w/check-installed.sh"; then
	step_failed "apt-get install ./$DEB in trixie" "$LOGS/install.log"
fi
cp "$W/dpkg-L.txt" "$W/installed.txt" "$W/verify.txt" "$LOGS/"
pass "apt-get install ./$DEB in trixie, its Depends from the archive ($(($(now) - t0)) s)"
units=$(grep -cE '^ok .*/systemd/system/' "$W/installed.txt" || true)
bins=$(grep -cE '^ok .*/s?bin/' "$W/installed.txt" || true)
check "dpkg -L isoboot has every file meson installs ($units units, $bins binaries)" \
	test "$units" -gt 0 -a "$bins" -gt 0 -a -z "$(grep '^missing ' "$W/installed.txt")"
grep '^missing ' "$W/installed.txt" || true
check "isoboot.target is in the package" \
	grep -qE '^ok .*/systemd/system/isoboot.target$' "$W/installed.txt"
check "isoboot-scan is in the package" grep -qE '^ok .*/sbin/isoboot-scan$' "$W/installed.txt"
check "every installed binary runs on trixie (--help)" \
	test "$(grep -c '^runs ' "$W/installed.txt")" = "$bins" -a -z "$(grep '^fails ' "$W/installed.txt")"
grep '^fails ' "$W/installed.txt" || true
check "what the units start and bind is installed ($(grep -c '^present ' "$W/installed.txt") files)" \
	test -z "$(grep '^absent ' "$W/installed.txt")" -a "$(grep -c '^present ' "$W/installed.txt")" -gt 0
grep '^absent ' "$W/installed.txt" || true
check "trixie's systemd-analyze verify on the installed units: no message" \
	test ! -s "$W/verify.txt"
cat "$W/verify.txt"
log "this run took $(($(now) - t_run)) s in the tree; logs in $LOGS"
finish
