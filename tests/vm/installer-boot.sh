#!/bin/bash
# The boot matrix's installer cells (o and p: a Debian installer ISO to a question of a component
# it loaded from its medium, on SeaBIOS and OVMF; see boot-matrix.sh) as a test of their own, so
# that meson runs them beside the matrix instead of after its other cells (about 4 minutes each
# under TCG). The same chain, services and checks, in a network namespace, an ISO folder and a
# log folder of their own (build/tests/vm-logs/installer-boot).
# Environment: ISOBOOT_INSTALLER_CELLS, the cells (default "o p"); the others as for
# boot-matrix.sh.
set -euo pipefail
ISOBOOT_MATRIX_NAME=installer-boot ISOBOOT_MATRIX_CELLS="${ISOBOOT_INSTALLER_CELLS:-o p}" \
	exec bash "$(dirname "$0")/boot-matrix.sh"
