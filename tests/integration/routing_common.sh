# Helpers shared by the cluster-routing tests (test_routing_*.sh), sourced
# after lib.sh and test_cni_common.sh. They expect $TB_TMP/net<NODE>.json
# (the node's CNI network config) and fill POD_NS, POD4, POD6.

declare -a POD_NS POD4 POD6

# pod_add NODE INDEX: pod p<NODE><INDEX> on node NODE through the CNI plugin.
pod_add() { # NODE INDEX
	local ns cid="c$1$2"
	tb_netns "p$1$2"
	ns=$(tb_ns "p$1$2")
	ip netns exec "$(tb_ns "n$1")" env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID="$cid" \
		CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
		"$TABBY_PLUGIN" <"$TB_TMP/net$1.json" >"$TB_TMP/add$1$2.json" ||
		tb_fail "CNI ADD of pod $2 on node$1: $(cat "$TB_TMP/add$1$2.json")"
	POD_NS+=("$ns")
	POD4+=("$(jq -r '.ips[] | select(.address | contains(".")) | .address | sub("/.*"; "")' "$TB_TMP/add$1$2.json")")
	POD6+=("$(jq -r '.ips[] | select(.address | contains(":")) | .address | sub("/.*"; "")' "$TB_TMP/add$1$2.json")")
}

# all_ping: every pod pings every other over IPv4 and IPv6; returns the failures.
all_ping() {
	local a b fails=0
	for ((a = 0; a < ${#POD_NS[@]}; a++)); do
		for ((b = 0; b < ${#POD_NS[@]}; b++)); do
			[ $a = $b ] && continue
			ip netns exec "${POD_NS[$a]}" ping -c1 -W1 "${POD4[$b]}" >/dev/null 2>&1 ||
				{ tb_log "no IPv4 from ${POD4[$a]} to ${POD4[$b]}"; fails=$((fails + 1)); }
			ip netns exec "${POD_NS[$a]}" ping -6 -c1 -W1 "${POD6[$b]}" >/dev/null 2>&1 ||
				{ tb_log "no IPv6 from ${POD6[$a]} to ${POD6[$b]}"; fails=$((fails + 1)); }
		done
	done
	return $fails
}
