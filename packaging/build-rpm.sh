#!/bin/bash
# Builds the RPM of packaging/rpm/isoboot.spec from this checkout (tracked and new, non-ignored
# files) and runs rpmlint on the spec and the packages.
#   packaging/build-rpm.sh [OUTDIR]      default OUTDIR: build-pkg/rpm under the checkout
# Prints the path of the binary RPM on its last line. Exit status 1 if the build fails or rpmlint
# reports an error. The spec's BuildRequires are Fedora names, so rpmbuild runs with --nodeps:
# on Debian the build dependencies of packaging/debian/control (tests/install-deps.sh), rpm,
# rpmlint and elfutils (eu-strip, for the -debuginfo packages) are what it needs.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/build-pkg/rpm}
spec=$SRC/packaging/rpm/isoboot.spec
version=$(sed -n "s/^[[:space:]]*version:[[:space:]]*'\([^']*\)'.*/\1/p" "$SRC/meson.build" | head -n1)
spec_version=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
if [ -z "$version" ] || [ "$version" != "$spec_version" ]; then
	echo "build-rpm: meson.build has version '$version', isoboot.spec '$spec_version'" >&2
	exit 1
fi
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
top=$OUT/rpmbuild
mkdir -p "$top/SOURCES" "$OUT/isoboot-$version"
stage=$OUT/isoboot-$version
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d "" f; do if [ -e "$f" ]; then printf "%s\0" "$f"; fi; done |
	tar --null -T - -cf -) | tar -C "$stage" -xf -
tar -C "$OUT" --owner=0 --group=0 --numeric-owner -czf "$top/SOURCES/isoboot-$version.tar.gz" \
	"isoboot-$version"
rm -rf "$stage"
# The spec next to its sources (Source1 is the sysusers.d file), as in a dist-git checkout:
# rpmlint looks for SourceN files in the spec's directory.
cp "$spec" "$top/SOURCES/isoboot.spec"
cp "$SRC/units/isoboot.sysusers" "$top/SOURCES/isoboot.sysusers"

# Without Fedora's macro packages (Debian's rpm), our stand-ins: for rpmbuild with --load, for
# rpmlint (which runs rpm and its Python binding on the spec) as ~/.rpmmacros of a HOME of its own.
rpmbuild_opts=(--nodeps --define "_topdir $top")
lint_env=()
if [ -z "$(rpm --eval '%{?meson}')" ]; then
	compat=$SRC/packaging/rpm/macros.fedora-compat
	rpmbuild_opts+=(--load "$compat")
	mkdir -p "$OUT/home"
	cp "$compat" "$OUT/home/.rpmmacros"
	lint_env=(HOME="$OUT/home")
	# The stand-ins turn on the -debuginfo packages, as on Fedora. find-debuginfo (Debian's
	# debugedit) strips with eu-strip; without it rpmbuild still succeeds, with empty -debuginfo.
	if ! command -v eu-strip >/dev/null; then
		echo "build-rpm: the debuginfo packages need eu-strip (Debian: apt-get install elfutils)" >&2
		exit 1
	fi
fi
# Debian's rpm runs brp-compress (man pages) with #!/bin/sh, which is dash there, but the script
# uses bash's `read -d ''` and compresses nothing. Fedora's /bin/sh is bash: run it with bash.
brp_compress=$(rpm --eval '%{?__brp_compress}')
if [ -n "$brp_compress" ] && [ "$(readlink -f /bin/sh)" != "$(readlink -f /bin/bash)" ]; then
	rpmbuild_opts+=(--define "__brp_compress /bin/bash $brp_compress")
fi

log=$OUT/build.log
if ! rpmbuild -ba "${rpmbuild_opts[@]}" "$top/SOURCES/isoboot.spec" >"$log" 2>&1; then
	tail -40 "$log" >&2
	echo "build-rpm: rpmbuild failed; see $log" >&2
	exit 1
fi
rpm=$(ls "$top"/RPMS/*/isoboot-"$version"-*.rpm)
# Errors fail the build; warnings are printed for the note. packaging/rpm/rpmlintrc filters, with
# the reasons, what Debian's rpmlint reports but Fedora's configuration does not (or wrongly).
if ! env "${lint_env[@]}" rpmlint -r "$SRC/packaging/rpm/rpmlintrc" "$top/SOURCES/isoboot.spec" \
	"$top"/SRPMS/*.rpm "$top"/RPMS/*/*.rpm 2>&1 | tee "$OUT/rpmlint.log"; then
	echo "build-rpm: rpmlint reported errors; see $OUT/rpmlint.log" >&2
	exit 1
fi
echo "$rpm"
