#!/usr/bin/env bash
# The demo lab, inside network namespaces only (never the machine's own).
#
#   contrib/lab.sh up BUILDDIR    start it (BUILDDIR holds the built programs)
#   contrib/lab.sh down           stop what `up` started and remove its namespaces
#
# An underlay "fabric" namespace with a bridge (198.18.0.0/24, 2001:db8::/64),
# LAB_NODES node namespaces (default 3) running tabbyd on one embedded SQLite
# store, IP pools applied with tabbyctl, and LAB_PODS pods per node (default 2)
# wired by the `tabby` CNI plugin. With more than one node every tabbyd runs
# the BGP speaker (doc/routing.md): nodes advertise their blocks and install
# each other's routes. With LAB_TOR=1 (the default when FRR's bgpd is
# installed and there is more than one node) an FRR bgpd "top-of-rack" in its
# own namespace on the fabric (198.18.0.254, 2001:db8::fe, AS 65000) peers
# eBGP with every node (AS 64512), configured as doc/routing.md's "Topologies:
# ToR per rack" shows, and the node-to-node mesh is off (LAB_MESH=1 turns it
# on as well); without the ToR the nodes run the full mesh. Then
# `tabbyctl node status` (the peer table) and the routes each node learned
# (and the ToR's BGP table) are printed, and every pod pings every other pod
# and its node over IPv4 and IPv6. LAB_NODES=1 is the single-node lab without
# BGP.
set -euo pipefail

STATE=/run/tabby-lab
NODES=${LAB_NODES:-3}
PODS=${LAB_PODS:-2}
FRR_BGPD=/usr/lib/frr/bgpd
if [ -z "${LAB_TOR:-}" ]; then
	LAB_TOR=0
	[ "$NODES" -gt 1 ] && [ -x "$FRR_BGPD" ] && LAB_TOR=1
fi
if [ -z "${LAB_MESH:-}" ]; then
	LAB_MESH=1
	[ "$LAB_TOR" = 1 ] && LAB_MESH=0
fi
TOR4=198.18.0.254
TOR6=2001:db8::fe

die() {
	echo "lab: $*" >&2
	exit 1
}

down() {
	local pid ns
	if [ -f "$STATE/pids" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null || true
		done <"$STATE/pids"
		sleep 0.5
		while read -r pid; do
			kill -9 "$pid" 2>/dev/null || true
		done <"$STATE/pids"
	fi
	if [ -f "$STATE/netns" ]; then
		while read -r ns; do
			ip netns del "$ns" 2>/dev/null || true
		done <"$STATE/netns"
	fi
	rm -rf "$STATE"
	echo "lab: down"
}

mkns() {
	ip netns add "$1"
	echo "$1" >>"$STATE/netns"
	ip -n "$1" link set lo up
}

wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# tor_up: FRR's bgpd alone (no zebra: it installs nothing, so it passes every
# node's next hop on unchanged and the nodes forward to each other directly on
# the fabric), eBGP AS 65000 with every node (AS 64512). as-override lets the
# nodes accept each other's routes although their own AS is in the path;
# maximum-paths makes a prefix several nodes announce (a service CIDR) ECMP.
# The same configuration is shown in doc/routing.md.
tor_up() {
	local n
	[ -x "$FRR_BGPD" ] || die "LAB_TOR=1 needs FRR ($FRR_BGPD)"
	echo "== top-of-rack: namespace tabby-tor, FRR bgpd AS 65000 on $TOR4 $TOR6"
	mkns tabby-tor
	ip link add uplink netns tabby-tor type veth peer name up-tor netns tabby-fabric
	ip -n tabby-fabric link set up-tor master br0 up
	ip -n tabby-tor addr add "$TOR4/24" dev uplink
	ip -n tabby-tor addr add "$TOR6/64" dev uplink nodad
	ip -n tabby-tor link set uplink up
	{
		echo "hostname tor"
		echo "router bgp 65000"
		echo " bgp router-id $TOR4"
		echo " no bgp ebgp-requires-policy"
		echo " no bgp default ipv4-unicast"
		echo " neighbor NODES peer-group"
		echo " neighbor NODES remote-as 64512"
		echo " neighbor NODES timers 3 9"
		echo " neighbor NODES timers connect 1"
		echo " neighbor NODES advertisement-interval 0"
		for ((n = 1; n <= NODES; n++)); do
			for a in 198.18.0.$((10 + n)) 2001:db8::$((10 + n)); do
				echo " neighbor $a peer-group NODES"
				echo " neighbor $a description node$n"
			done
		done
		for af in ipv4 ipv6; do
			echo " address-family $af unicast"
			echo "  maximum-paths 8"
			echo "  neighbor NODES activate"
			echo "  neighbor NODES as-override"
			echo "  neighbor NODES attribute-unchanged next-hop"
			echo " exit-address-family"
		done
	} >"$STATE/tor.conf"
	mkdir -p "$STATE/tor.vty"
	ip netns exec tabby-tor "$FRR_BGPD" -f "$STATE/tor.conf" -i "$STATE/tor.pid" -Z -S \
		--vty_socket "$STATE/tor.vty" -A 127.0.0.1 -P 0 >"$STATE/tor.log" 2>&1 &
	echo $! >>"$STATE/pids"
}

tor_vty() { ip netns exec tabby-tor vtysh --vty_socket "$STATE/tor.vty" -c "$1"; }

# bgp_section NODE: tabbyd's bgp: section (the mesh per LAB_MESH; the ToR as a configured peer).
bgp_section() {
	[ "$NODES" -gt 1 ] || [ "$LAB_TOR" = 1 ] || return 0
	cat <<Y
bgp:
  enabled: true
  asNumber: 64512
  holdTime: 9
  connectRetry: 1
  nodeToNodeMesh: $([ "$LAB_MESH" = 1 ] && echo true || echo false)
Y
	[ "$LAB_TOR" = 1 ] || return 0
	cat <<Y
  peers:
    - {address: $TOR4, asNumber: 65000, description: tor}
    - {address: '$TOR6', asNumber: 65000, description: tor}
Y
}

# learned NODE: number of proto-84 routes with a gateway in NODE's kernel.
learned() {
	{ ip -n "tabby-$1" -4 route show proto 84; ip -n "tabby-$1" -6 route show proto 84; } |
		grep -c ' via ' || true
}

# learned_routes NODE: those routes, one per line, indented.
learned_routes() {
	{ ip -n "tabby-$1" -4 route show proto 84; ip -n "tabby-$1" -6 route show proto 84; } |
		grep ' via ' | sed 's/^/   /' || echo "   (none)"
}

# cni NODE COMMAND POD: run the tabby plugin for POD inside NODE's namespace.
cni() {
	ip netns exec "tabby-$1" env CNI_COMMAND="$2" CNI_CONTAINERID="$3" \
		CNI_NETNS="/var/run/netns/tabby-$3" CNI_IFNAME=eth0 CNI_PATH="$BUILD/src/cni" \
		CNI_ARGS="K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$3" \
		"$BUILD/src/cni/tabby" <"$STATE/$1.conf"
}

up() {
	BUILD=$(cd "${1:?usage: lab.sh up BUILDDIR}" && pwd)
	local n p i node pod a4 a6
	for p in tabbyd/tabbyd cni/tabby ctl/tabbyctl; do
		[ -x "$BUILD/src/$p" ] || die "$BUILD/src/$p is not built"
	done
	[ -e "$STATE" ] && down >/dev/null
	mkdir -p "$STATE"
	: >"$STATE/pids"
	: >"$STATE/netns"
	export TABBY_DATASTORE="sqlite:$STATE/store.db"

	echo "== underlay: namespace tabby-fabric, bridge br0, 198.18.0.0/24 and 2001:db8::/64"
	mkns tabby-fabric
	ip -n tabby-fabric link add br0 type bridge
	ip -n tabby-fabric link set br0 up

	echo "== IP pools (tabbyctl apply)"
	"$BUILD/src/ctl/tabbyctl" apply -f - <<'Y'
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4
spec:
  cidr: 10.244.0.0/16
  blockSize: 26
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv6
spec:
  cidr: fd00:10:244::/56
  blockSize: 122
Y
	[ "$LAB_TOR" = 1 ] && tor_up
	for ((n = 1; n <= NODES; n++)); do
		node=node$n
		a4=198.18.0.$((10 + n))
		a6=2001:db8::$((10 + n))
		echo "== $node: namespace tabby-$node, uplink $a4/24 $a6/64, tabbyd"
		mkns "tabby-$node"
		ip link add uplink netns "tabby-$node" type veth peer name "up-$node" netns tabby-fabric
		ip -n tabby-fabric link set "up-$node" master br0 up
		ip -n "tabby-$node" addr add "$a4/24" dev uplink
		ip -n "tabby-$node" addr add "$a6/64" dev uplink nodad
		ip -n "tabby-$node" link set uplink up
		# A node has a default route; proxy ARP for the pods' gateway needs one.
		ip -n "tabby-$node" route add default dev uplink
		ip -n "tabby-$node" -6 route add default dev uplink
		cat >"$STATE/$node.yaml" <<Y
nodeName: $node
datastore: sqlite:$STATE/store.db
addresses: [$a4/24, $a6/64]
logLevel: info
apiSocket: $STATE/$node.sock
$(bgp_section "$node")
Y
		ip netns exec "tabby-$node" "$BUILD/src/tabbyd/tabbyd" -c "$STATE/$node.yaml" \
			>"$STATE/$node.log" 2>&1 &
		echo $! >>"$STATE/pids"
		wait_for test -S "$STATE/$node.sock" || die "tabbyd on $node did not start: see $STATE/$node.log"
		cat >"$STATE/$node.conf" <<J
{"cniVersion": "1.0.0", "name": "demo", "type": "tabby", "socket": "$STATE/$node.sock",
 "ipam": {"assign_ipv4": true, "assign_ipv6": true}}
J
		for ((i = 1; i <= PODS; i++)); do
			pod=$node-pod$i
			mkns "tabby-$pod"
			cni "$node" ADD "$pod" >"$STATE/$pod.json" || die "CNI ADD $pod failed: $(cat "$STATE/$pod.json")"
			echo "   pod $pod: $(ip -n "tabby-$pod" -br addr show eth0 | awk '{$1=$2=""; print}')"
		done
	done

	if [ "$NODES" -gt 1 ]; then
		# Every other node's IPv4 and IPv6 block (more if blocks were borrowed).
		echo "== BGP: waiting for each node to install the other nodes' blocks"
		for ((n = 1; n <= NODES; n++)); do
			wait_routes() { [ "$(learned "node$1")" -ge $((2 * (NODES - 1))) ]; }
			for ((i = 0; i < 300; i++)); do
				wait_routes "$n" && break
				sleep 0.1
			done
			echo "   node$n: $(learned "node$n") learned route(s) in the kernel (proto 84)"
		done
	fi

	if [ "$NODES" -gt 1 ] || [ "$LAB_TOR" = 1 ]; then
		for ((n = 1; n <= NODES; n++)); do
			echo "== node$n: tabbyctl node status (peers)"
			"$BUILD/src/ctl/tabbyctl" --socket "$STATE/node$n.sock" node status || true
			echo "== node$n: routes learned over BGP, in the kernel (proto 84, via another node)"
			learned_routes "node$n"
		done
	fi
	if [ "$LAB_TOR" = 1 ]; then
		echo "== top-of-rack: show bgp summary"
		tor_vty "show bgp summary" || true
		for af in ipv4 ipv6; do
			echo "== top-of-rack: show bgp $af unicast"
			tor_vty "show bgp $af unicast" | sed -n '/Network/,$p' || true
		done
	fi

	echo "== connectivity"
	local fails=0 src dst addrs4 addrs6 m q
	for ((n = 1; n <= NODES; n++)); do
		for ((i = 1; i <= PODS; i++)); do
			src=node$n-pod$i
			for ((m = 1; m <= NODES; m++)); do
				for ((q = 1; q <= PODS; q++)); do
					dst=node$m-pod$q
					[ "$src" = "$dst" ] && continue
					addrs4=$(ip -n "tabby-$dst" -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
					addrs6=$(ip -n "tabby-$dst" -6 -o addr show eth0 scope global | awk '{print $4}' | cut -d/ -f1)
					for a in $addrs4 $addrs6; do
						if ip netns exec "tabby-$src" ping -c 1 -W 2 "$a" >/dev/null 2>&1; then
							echo "   $src -> $dst ($a): ok"
						else
							echo "   $src -> $dst ($a): FAILED"
							fails=$((fails + 1))
						fi
					done
				done
			done
			for a in 198.18.0.$((10 + n)) 2001:db8::$((10 + n)); do
				if ip netns exec "tabby-$src" ping -c 1 -W 2 "$a" >/dev/null 2>&1; then
					echo "   $src -> node$n ($a): ok"
				else
					echo "   $src -> node$n ($a): FAILED"
					fails=$((fails + 1))
				fi
			done
		done
	done
	echo "== tabbyctl ipam show --show-blocks"
	"$BUILD/src/ctl/tabbyctl" ipam show --show-blocks
	echo
	echo "The lab is up (state in $STATE; e.g. ip netns exec tabby-node1-pod1 ping 10.244.x.y)."
	echo "Remove it with: contrib/quickstart down"
	[ "$fails" = 0 ] || die "$fails ping(s) failed"
}

case "${1:-}" in
up) up "${2:-}" ;;
down) down ;;
*) echo "usage: contrib/lab.sh up BUILDDIR | down" >&2; exit 2 ;;
esac
