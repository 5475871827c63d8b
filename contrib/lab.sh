#!/usr/bin/env bash
# The demo lab, inside network namespaces only (never the machine's own).
#
#   contrib/lab.sh up BUILDDIR    start it (BUILDDIR holds the built programs)
#   contrib/lab.sh down           stop what `up` started and remove its namespaces
#
# Today's lab is one Tabby node with two pods (the single-node issue): an
# underlay "fabric" namespace with a bridge (198.18.0.0/24, 2001:db8::/64),
# a node namespace running tabbyd on the embedded SQLite store, IP pools
# applied with tabbyctl, and two pods wired by the `tabby` CNI plugin, which
# then ping each other and the node over IPv4 and IPv6. Cluster routing (three
# nodes, an FRR top-of-rack) joins when tabbyd runs the BGP speaker.
set -euo pipefail

STATE=/run/tabby-lab
NODES=${LAB_NODES:-1}
PODS=${LAB_PODS:-2}

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

	echo "== connectivity"
	local fails=0 src dst addrs4 addrs6
	for ((n = 1; n <= NODES; n++)); do
		for ((i = 1; i <= PODS; i++)); do
			src=node$n-pod$i
			for ((p = 1; p <= PODS; p++)); do
				dst=node$n-pod$p
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
