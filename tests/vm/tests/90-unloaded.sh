# SPDX-License-Identifier: GPL-2.0
# Without the module, tfctl says so and exits 1; with it back, it works again.
. /tests/lib.sh

rmmod tokenfactory
set +e
err=$(tfctl status 2>&1 >/dev/null); rc=$?
set -e
expect_eq "exit without module" $rc 1
echo "$err" | grep -q 'tokenfactory module not loaded' || die "message: $err"
insmod /tokenfactory.ko
tfctl status >/dev/null
