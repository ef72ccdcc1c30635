# SPDX-License-Identifier: GPL-2.0
# tfctl status, text and JSON, against the module just inserted.
. /tests/lib.sh

out=$(tfctl status)
echo "$out"
echo "$out" | grep -qE '^tokenfactory [0-9]+\.[0-9]+\.[0-9]+ \(protocol 1\), up [0-9]+\.[0-9]{3} s$' ||
	die "status header: $out"
# No RAPL under TCG: the package is metered by the estimate, and says so.
echo "$out" | grep -qE "^  package-0 +estimate +\(estimated\)$" || die "meter line: $out"

j=$(tfctl -j status)
echo "$j"
jcheck "$j" '.protocol == 1'
jcheck "$j" '.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")'
jcheck "$j" '.uptime_ns > 0'
jcheck "$j" '.meters | length >= 1'
jcheck "$j" '.meters[0] == {"name": "package-0", "kind": "estimate", "estimated": true}'

# uptime advances
u1=$(tfctl -j status | jq .uptime_ns)
sleep 0.2
u2=$(tfctl -j status | jq .uptime_ns)
[ "$u2" -gt $((u1 + 100000000)) ] || die "uptime did not advance: $u1 -> $u2"

# usage errors exit 2, a missing module exits 1 with a clear message
set +e
tfctl status extra >/dev/null 2>&1; expect_eq "usage exit" $? 2
tfctl nosuch >/dev/null 2>&1; expect_eq "unknown command exit" $? 2
set -e
