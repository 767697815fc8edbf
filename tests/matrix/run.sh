#!/bin/bash
# The distro matrix's scenario on one machine (provision.sh runs it as root from /root/matrix, beside lib.sh and the
# binary): the same steps the VM tier's net scenario runs on Debian 12 and 13 (tests/vm/lib.sh). Every command here
# is a fixed string.
#
# Layout of out/: STEP.stdout, STEP.stderr and STEP.rc for every recorded step, and matrix-capture/.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

wait_for_login
matrix_fresh
matrix_install
echo "matrix scenario: done"
