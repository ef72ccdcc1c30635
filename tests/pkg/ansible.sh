#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Ansible role and playbook: syntax check and ansible-lint (production
# profile) over packaging/ansible; the example inventory's 100 hosts and
# their shares of the site's surplus (they add up to at most the whole,
# short of it by less than one part per million per host); and a check
# mode run of site.yml against this machine (connection local) that must
# get through, installing from make deb's packages. This machine has no
# systemd as PID 1 and no /proc/modules, so the run is an image build
# (tokenfactory_image_build: no module load, no service start).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

A=$top/packaging/ansible
for c in ansible-playbook ansible-lint; do
	command -v $c >/dev/null || { fail ansible "no $c: make deps"; exit 0; }
done
tmp=$(mktemp -d /tmp/tf-ansible.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ANSIBLE_LOCAL_TEMP=$tmp/local ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0

cd "$A" || exit 0
check ansible/syntax ansible-playbook -i inventory/example.yml --syntax-check site.yml
check ansible/lint ansible-lint -q --nocolor site.yml roles/tokenfactory inventory/example.yml

# Every host's share as the role computes it (its defaults, at their
# precedence), from the example inventory.
mkdir -p "$tmp/roles/share/tasks" "$tmp/roles/share/defaults"
cp "$A/roles/tokenfactory/defaults/main.yml" "$tmp/roles/share/defaults/main.yml"
cat > "$tmp/roles/share/tasks/main.yml" <<'YML'
- name: Share
  ansible.builtin.debug:
    msg: "SHARE {{ inventory_hostname }} {{ '%.6f' | format(tokenfactory_share | float) }}"
YML
cat > "$tmp/shares.yml" <<'YML'
- name: Shares
  hosts: site_fremont
  gather_facts: false
  connection: local
  roles:
    - role: share
YML
shares() {
	local out
	out=$(ANSIBLE_ROLES_PATH=$tmp/roles ansible-playbook -f 10 -i inventory/example.yml "$tmp/shares.yml" 2>&1) || { echo "$out" | tail -n 5; return 1; }
	grep -o '"SHARE [^"]*"' <<<"$out" | tr -d '"' | awk '
		{ n++; sum += $3; s[$3]++ }
		END {
			printf "%d hosts, shares sum %.6f (", n, sum
			for (k in s) printf " %d x %s", s[k], k
			print " )"
			ok = n == 100 && sum <= 1 && sum > 1 - n * 1e-6 && s["0.008333"] == 80 && s["0.016666"] == 20
			exit !ok
		}'
}
if out=$(shares); then
	pass ansible/shares
	echo "    $out"
else
	fail ansible/shares "$out"
fi

# The configuration the role writes for two example hosts (weight 1 and
# 2), checked by the agent's own reader where the build has it.
mkdir -p "$tmp/roles/render/tasks" "$tmp/roles/render/templates" "$tmp/out"
mkdir -p "$tmp/roles/render/defaults"
cp "$A/roles/tokenfactory/defaults/main.yml" "$tmp/roles/render/defaults/"
cp "$A"/roles/tokenfactory/templates/*.j2 "$tmp/roles/render/templates/"
cat > "$tmp/roles/render/tasks/main.yml" <<YML
- name: Render
  ansible.builtin.template:
    src: tokenfactoryd.conf.j2
    dest: "$tmp/out/{{ inventory_hostname }}.conf"
    mode: "0600"
YML
cat > "$tmp/render.yml" <<'YML'
- name: Render
  hosts: gpu-fremont-001,gpu-fremont-081
  gather_facts: false
  connection: local
  roles:
    - role: render
YML
render() {
	local out f
	out=$(ANSIBLE_ROLES_PATH=$tmp/roles ansible-playbook -i inventory/example.yml "$tmp/render.yml" \
		-e vault_tokenfactory_mqtt_password=secret 2>&1) || { echo "$out" | tail -n 5; return 1; }
	grep -qx 'share = 0.008333' "$tmp/out/gpu-fremont-001.conf" &&
		grep -qx 'share = 0.016666' "$tmp/out/gpu-fremont-081.conf" &&
		grep -qx 'topic = site/fremont/surplus' "$tmp/out/gpu-fremont-081.conf" &&
		grep -qx '\[gpu 0\]' "$tmp/out/gpu-fremont-081.conf" || { echo "unexpected config"; return 1; }
	if "$B/tokenfactoryd" --help 2>&1 | grep -q -- --check-config; then
		for f in "$tmp"/out/*.conf; do
			"$B/tokenfactoryd" --check-config --config "$f" || return 1
		done
	else
		echo "    (not checked by the agent: build/tokenfactoryd has no --check-config yet)" >&2
	fi
}
if out=$(render 2>&1); then
	pass ansible/config
	printf '%s\n' "$out" | grep '^    ' || true
else
	fail ansible/config "$(tail -n 1 <<<"$out")"
fi

# check mode against this machine
cat > "$tmp/inventory.yml" <<YML
all:
  children:
    site_ci:
      vars:
        tokenfactory_site: ci
        tokenfactory_package_source: deb
        tokenfactory_deb_dir: $B/deb
        tokenfactory_headers_package: linux-headers-amd64
        tokenfactory_image_build: true
        tokenfactory_gpu_vendor: nvidia
        tokenfactory_ip_allow: [10.0.0.0/8]
        tokenfactory_groups:
          - name: chat
            tier: interactive
            cgroup: tokenfactory-interactive.slice/chat.service
            reserved: 400W
      children:
        canary:
          hosts:
            localhost:
              ansible_connection: local
              ansible_python_interpreter: /usr/bin/python3
              tokenfactory_weight: 1
        spare:
          hosts:
            other-host:
              tokenfactory_weight: 3
YML
if [ ! -r "$B/deb/tokenfactory_$(tf_version)_amd64.deb" ]; then
	fail ansible/check-mode "no $B/deb packages: make deb (tests/pkg/deb.sh runs first)"
	exit 0
fi
checkrun() {
	local out
	out=$(ansible-playbook -i "$tmp/inventory.yml" site.yml --check --diff 2>&1)
	grep -q '^localhost .* failed=0 ' <<<"$out" && grep -q '^+share = 0.250000$' <<<"$out" &&
		grep -q '^+IPAddressAllow=10.0.0.0/8$' <<<"$out" && return 0
	echo "$out" | grep -E 'fatal|FAILED|failed=' | tail -n 5
	return 1
}
check ansible/check-mode checkrun
