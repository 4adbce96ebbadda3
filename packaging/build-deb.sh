#!/bin/bash
# Builds the .deb from this checkout (tracked and new, non-ignored files) and runs lintian.
#   packaging/build-deb.sh [OUTDIR]      default OUTDIR: build-pkg/deb under the checkout
# Prints the path of the .deb on its last line. Exit status 1 if the build fails or lintian
# reports an error. Needs the build dependencies of packaging/debian/control (tests/install-deps.sh).
# A source tree that is not a git checkout (the export tests/system/trixie-build.sh builds in a
# Debian 13 tree, which has no git) is packaged whole.
#   ISOBOOT_JOBS   parallel build jobs (default: nproc)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/build-pkg/deb}
version=$(sed -n '1s/^isoboot (\([^)]*\)).*/\1/p' "$SRC/packaging/debian/changelog")
rm -rf "$OUT"
mkdir -p "$OUT/isoboot-$version"
stage=$OUT/isoboot-$version
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d "" f; do if [ -e "$f" ]; then printf "%s\0" "$f"; fi; done |
		tar --null -T - -cf -) | tar -C "$stage" -xf -
else
	(cd "$SRC" && tar --exclude=./build-pkg -cf - .) | tar -C "$stage" -xf -
fi
rm -rf "$stage/debian"
cp -a "$SRC/packaging/debian" "$stage/debian"
cd "$stage"
log=$OUT/build.log
if ! dpkg-buildpackage -b -us -uc -j"${ISOBOOT_JOBS:-$(nproc)}" >"$log" 2>&1; then
	tail -40 "$log" >&2
	echo "build-deb: dpkg-buildpackage failed; see $log" >&2
	exit 1
fi
deb=$(ls "$OUT"/isoboot_"$version"_*.deb)
# Errors fail the build; warnings are printed for the note and explained in the overrides.
lintian --fail-on error --info --display-info "$OUT"/*.changes | tee "$OUT/lintian.log"
echo "$deb"
