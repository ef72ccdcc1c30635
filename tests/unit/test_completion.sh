#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The bash completion of tfctl (agent/tfctl.bash-completion): sources it into
# this shell and checks what _tfctl offers for typed command lines, with a
# stand-in tfctl on PATH answering the domain query (JSON for jq, the text
# table without it) or failing. No module, no root needed.
#
# Prints "PASS: unit/completion/NAME" or "FAIL: unit/completion/NAME" per
# case, like tests/run.sh's layers; exits 1 if any case failed. T=pattern
# runs the cases whose name contains it.
#
#   bash tests/unit/test_completion.sh
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
T=${T:-}
failed=0
passed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# TFCTL_COMPLETION: another completion file to check (default: the tree's)
# shellcheck source=agent/tfctl.bash-completion
. "${TFCTL_COMPLETION:-$top/agent/tfctl.bash-completion}"

complete -p tfctl 2>/dev/null | grep -q -- '-F _tfctl tfctl$' ||
	{ echo "FAIL: unit/completion/registered (complete -p tfctl)"; exit 1; }

# The stand-in tfctl: mode "ok" lists three domains, "fail" behaves like a
# host without the module (message on stderr, exit 1).
mkdir -p "$tmp/bin"
cat > "$tmp/bin/tfctl" <<'EOF'
#!/bin/sh
if [ "$(cat "$(dirname "$0")/mode")" = fail ]; then
	echo "Error: netlink: tokenfactory module not loaded (insmod tokenfactory.ko)." >&2
	exit 1
fi
case "$*" in
"-j domain")
	echo '{"domains":[{"id":0,"name":"host"},{"id":1,"name":"package-0"},{"id":2,"name":"gpu-0"}]}' ;;
domain)
	printf '%s\n' "NAME        TYPE" "host        host" "package-0   package" "gpu-0       gpu" ;;
"-j group")
	echo '{"groups":[{"name":"chat"},{"name":"batch1"}]}' ;;
*)
	exit 2 ;;
esac
EOF
chmod +x "$tmp/bin/tfctl"
echo ok > "$tmp/bin/mode"
PATH=$tmp/bin:$PATH

# check NAME LINE WANT: completing at the end of LINE offers exactly the
# words of WANT (in any order), and writes nothing to stderr.
check() {
	local name=$1 line=$2 want=$3 got err

	[ -n "$T" ] && [[ "$name" != *"$T"* ]] && return
	COMP_LINE=$line
	COMP_POINT=${#line}
	# what bash itself passes: it also splits words at the colons of
	# COMP_WORDBREAKS ("mqtt:site1" is three words); _tfctl must cope
	read -ra COMP_WORDS <<<"${line//:/ : }"
	[[ -z $line || $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_tfctl tfctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}" \
		2> "$tmp/stderr"
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ')
	# shellcheck disable=SC2086 # WANT is a list of words
	want=$(printf '%s\n' $want | sed '/^$/d' | sort | tr '\n' ' ')
	err=$(cat "$tmp/stderr")
	if [ "$got" = "$want" ] && [ -z "$err" ]; then
		echo "PASS: unit/completion/$name"
		passed=$((passed + 1))
	else
		echo "FAIL: unit/completion/$name"
		# shellcheck disable=SC2016 # quotes for the reader
		echo "    line '$line': got '$got', want '$want'${err:+, stderr '$err'}"
		failed=$((failed + 1))
	fi
}

# commands and options
check command_prefix	'tfctl d'			'domain'
check commands		'tfctl '			'status domain signal group member ledger top heartbeat monitor help'
check commands_after_j	'tfctl -j '			'status domain signal group member ledger top heartbeat monitor help'
check commands_after_json 'tfctl --json s'		'status signal'
check options		'tfctl -'			'-j --json -h --help'
check options_long	'tfctl --j'			'--json'
check after_help	'tfctl -h '			''
check unknown_command	'tfctl nosuch '			''
check no_args		'tfctl status '			''
check heartbeat		'tfctl heartbeat '		''

# domain
check domain_subs	'tfctl domain '			'show set push'
check domain_subs_j	'tfctl -j domain s'		'show set'
check domain_show_names	'tfctl domain show '		'host package-0 gpu-0'
check domain_show_prefix 'tfctl -j domain show pa'	'package-0'
check domain_list_names	'tfctl domain list g'		'gpu-0'
check domain_show_one	'tfctl domain show host '	''
check domain_set_names	'tfctl domain set '		'host package-0 gpu-0'
check domain_set_keys	'tfctl domain set package-0 '	'cap failsafe'
check domain_set_value	'tfctl domain set package-0 cap '	''
check domain_set_more	'tfctl domain set host cap 1.5kW '	'cap failsafe'
check domain_set_f	'tfctl domain set host cap 0 f'	'failsafe'
check domain_push_gpus	'tfctl domain push '		'gpu-0'
check domain_push_keys	'tfctl domain push gpu-0 '	'energy power max'
check domain_push_left	'tfctl domain push gpu-0 energy 1000J '	'power max'
check domain_push_value	'tfctl domain push gpu-0 energy '	''

# signal
check signal_subs	'tfctl signal '			'show set'
check signal_show	'tfctl signal show '		''
check signal_set_keys	'tfctl signal set '		'surplus ttl source carbon price'
check signal_set_prefix	'tfctl signal set s'		'surplus source'
check signal_set_left	'tfctl signal set surplus 120W ttl 30s '	'source carbon price'
check signal_set_value	'tfctl signal set surplus '	''
check signal_set_colon	'tfctl signal set source mqtt:site1 surplus 1W '	'ttl carbon price'
check signal_set_colon_value 'tfctl signal set source mqtt:si'	''
check signal_set_colon_end	'tfctl signal set source site: surplus 1W '	'ttl carbon price'

# groups, members, ledger, top
check group_subs	'tfctl group '			'show add set del'
check group_names	'tfctl group del '		'chat batch1'
check group_tier_key	'tfctl group add x '		'tier'
check group_tiers	'tfctl group set chat tier '	'interactive batch background'
check member_subs	'tfctl member '			'add del'
check member_groups	'tfctl member add '		'chat batch1'
check member_kinds	'tfctl member add chat '	'pid cgroup'
check ledger_subs	'tfctl ledger '			'show bills push'
check top_keys		'tfctl top '			'interval count limit'
check top_left		'tfctl top count 3 '		'interval limit'

# monitor
check monitor_count	'tfctl monitor '		'count'
check monitor_value	'tfctl monitor count '		''

# domain names: the text table when jq is missing, nothing when tfctl fails
# or is missing; the tools the completion and check() use stay on PATH
path=$PATH
tools() {	# DIR TOOL...: a PATH directory with just these tools
	local dir=$1 t
	shift
	mkdir -p "$dir"
	for t in "$@"; do
		command -v "$t" >/dev/null && ln -sf "$(command -v "$t")" "$dir/$t"
	done
}
tools "$tmp/nojq" awk grep sed sort tr cat dirname
ln -s "$tmp/bin/tfctl" "$tmp/nojq/tfctl"
cp "$tmp/bin/mode" "$tmp/nojq/mode"
# shellcheck disable=SC2123 # on purpose
PATH=$tmp/nojq
hash -r
check names_without_jq		'tfctl domain show '		'host package-0 gpu-0'
check names_without_jq_push	'tfctl domain push g'		'gpu-0'
PATH=$path
hash -r

echo fail > "$tmp/bin/mode"
check names_no_module		'tfctl domain show '		''
check names_no_module_push	'tfctl domain push '		''
check keys_no_module		'tfctl domain set host '	'cap failsafe'

tools "$tmp/notfctl" awk grep sed sort tr cat dirname jq
# shellcheck disable=SC2123 # on purpose
PATH=$tmp/notfctl
hash -r
check names_no_tfctl		'tfctl domain set '		''
PATH=$path
hash -r

echo "completion: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
