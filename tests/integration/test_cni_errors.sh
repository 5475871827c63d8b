#!/usr/bin/env bash
# The `tabby` CNI plugin's error reporting, against SPEC.md 1.0.0/1.1.0 "Error":
# every failure prints {"cniVersion", "code", "msg"} on stdout and exits
# non-zero, with the well-known code for the cause. Also: old result formats
# (0.3.1, 0.4.0), VERSION, STATUS, GC, and malformed requests sent straight to
# tabbyd's API (4xx with a message, the agent survives).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/test_cni_common.sh"

tb_require_root
tb_require_cmd ip jq curl sqlite3 python3 "$TABBY_PLUGIN" "$TABBYD"

cni_node node
tb_netns pod1
tb_netns pod2
P1=/var/run/netns/$(tb_ns pod1)
P2=/var/run/netns/$(tb_ns pod2)
cni_start_tabbyd

# expect_error CODE WHAT CMD...: the command fails with CNI error CODE in out.json.
expect_error() {
	local code=$1 what=$2
	shift 2
	if "$@"; then tb_fail "$what: succeeded, expected CNI error $code"; fi
	jq -e '.cniVersion and .msg' "$TB_TMP/out.json" >/dev/null ||
		tb_fail "$what: not CNI error JSON: $(cat "$TB_TMP/out.json")"
	[ "$(cni_code)" = "$code" ] || tb_fail "$what: code $(cni_code), expected $code: $(cat "$TB_TMP/out.json")"
	tb_log "ok: $what -> code $code: $(jq -r .msg "$TB_TMP/out.json")"
}
conf() { printf '%s' "$1" >"$TB_TMP/c.json"; echo "$TB_TMP/c.json"; }
S=$TB_TMP/tabbyd.sock

expect_error 7 "invalid network config (mtu)" \
	cni_run ADD c1 "$P1" eth0 "$(conf '{"cniVersion":"1.0.0","name":"n","type":"tabby","socket":"'$S'","mtu":"big"}')"
expect_error 7 "invalid network config (no name)" \
	cni_run ADD c1 "$P1" eth0 "$(conf '{"cniVersion":"1.0.0","type":"tabby","socket":"'$S'"}')"
expect_error 6 "undecodable network config" \
	cni_run ADD c1 "$P1" eth0 "$(conf '{"cniVersion": "1.0.0", this is not JSON')"
expect_error 1 "unknown cniVersion" \
	cni_run ADD c1 "$P1" eth0 "$(conf '{"cniVersion":"0.2.0","name":"n","type":"tabby","socket":"'$S'"}')"
tb_assert "the incompatible-version message names the version" grep -q 0.2.0 "$TB_TMP/out.json"
expect_error 2 "unsupported field (ipam.type host-local)" \
	cni_run ADD c1 "$P1" eth0 "$(conf '{"cniVersion":"1.0.0","name":"n","type":"tabby","socket":"'$S'","ipam":{"type":"host-local"}}')"
# The plugin reads only "socket" (and "timeout", "cniVersion") itself; without
# a socket it relays to the default one, which this test never has.
expect_error 11 "no socket in the config: the default socket" \
	cni_run ADD c1 "$P1" eth0 "$(conf '{"cniVersion":"0.4.0","name":"n","type":"tabby"}')"
tb_assert "... named in the message" grep -q /run/tabby/tabbyd.sock "$TB_TMP/out.json"
tb_assert "... in the config's cniVersion" [ "$(jq -r .cniVersion "$TB_TMP/out.json")" = 0.4.0 ]
expect_error 6 "a configuration the plugin cannot read names where" \
	cni_run ADD c1 "$P1" eth0 "$(conf '{"cniVersion":"1.0.0",
"name": "n" "type": "tabby"}')"
tb_assert "... the line" grep -q "line 2" "$TB_TMP/out.json"
expect_error 3 "missing netns" cni_run ADD c1 /var/run/netns/"$(tb_ns nosuchpod)" eth0
expect_error 4 "missing CNI_CONTAINERID" cni_run ADD "" "$P1" eth0
tb_assert "the message names CNI_CONTAINERID" grep -q CNI_CONTAINERID "$TB_TMP/out.json"
expect_error 4 "missing CNI_IFNAME" cni_run ADD c1 "$P1" ""
expect_error 4 "bad CNI_ARGS key" cni_run ADD c1 "$P1" eth0 "" "FOO=bar"
expect_error 4 "missing CNI_COMMAND" env -u CNI_COMMAND bash -c \
	"CNI_CONTAINERID=c1 CNI_NETNS=$P1 CNI_IFNAME=eth0 $TABBY_PLUGIN <$TB_TMP/net.json >$TB_TMP/out.json"
expect_error 1 "CHECK with a 0.3.1 config" \
	cni_run CHECK c1 "$P1" eth0 "$(conf '{"cniVersion":"0.3.1","name":"n","type":"tabby","socket":"'$S'","prevResult":{}}')"
expect_error 1 "GC with a 1.0.0 config" \
	cni_run GC "" "" "" "$(conf '{"cniVersion":"1.0.0","name":"n","type":"tabby","socket":"'$S'"}')"
tb_assert "nothing was assigned by the failed calls" \
	[ "$(cni_db "select count(*) from kv where key like '/tabby/v1/ipam/handles/%'")" = 0 ]

# VERSION.
CNI_COMMAND=VERSION "$TABBY_PLUGIN" </dev/null >"$TB_TMP/out.json" || tb_fail VERSION
tb_assert "VERSION lists 0.3.0 ... 1.1.0" \
	[ "$(jq -c .supportedVersions "$TB_TMP/out.json")" = '["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' ]

# Older result formats.
for v in 0.3.0 0.3.1 0.4.0; do
	conf '{"cniVersion":"'$v'","name":"tabby-net","type":"tabby","socket":"'$S'","ipam":{"assign_ipv6":true}}' >/dev/null
	cp "$TB_TMP/c.json" "$TB_TMP/old.json"
	cni_run ADD "old${v//./}" "$P2" "e${v//./}" "$TB_TMP/old.json" || tb_fail "ADD $v: $(cat "$TB_TMP/out.json")"
	tb_assert "ADD answers in $v" [ "$(jq -r .cniVersion "$TB_TMP/out.json")" = "$v" ]
	tb_assert "$v IPs carry a version" [ "$(jq -r '[.ips[].version] | sort | join(",")' "$TB_TMP/out.json")" = "4,6" ]
	tb_assert "DEL $v" cni_run DEL "old${v//./}" "$P2" "e${v//./}" "$TB_TMP/old.json"
done

# Requested addresses (ipam.ips and CNI_ARGS IP=) and labels (args.cni.labels).
conf '{"cniVersion":"1.0.0","name":"tabby-net","type":"tabby","socket":"'$S'","mtu":1400,
 "ipam":{"ips":["10.244.77.7","fd00:10:244::77:7"]},
 "args":{"cni":{"labels":[{"key":"app","value":"db"}]}}}' >/dev/null
cp "$TB_TMP/c.json" "$TB_TMP/req.json"
cni_run ADD req1 "$P1" eth0 "$TB_TMP/req.json" "K8S_POD_NAMESPACE=prod;K8S_POD_NAME=db-0" ||
	tb_fail "ADD with requested IPs: $(cat "$TB_TMP/out.json")"
tb_assert "requested addresses assigned" \
	[ "$(jq -r '[.ips[].address] | join(",")' "$TB_TMP/out.json")" = "10.244.77.7/32,fd00:10:244::77:7/128" ]
tb_assert "mtu from the network config" cni_output_has "mtu 1400" ip -n "$(tb_ns pod1)" link show eth0
tb_assert "labels, namespace and pod stored with the endpoint" [ "$(cni_db "select json_extract(value, '$.metadata.labels.app') || '/' || json_extract(value, '$.metadata.namespace') || '/' || json_extract(value, '$.spec.pod') from kv where key like '/tabby/v1/workloads/node/tabby-net:req1:%'")" = db/prod/db-0 ]
cni_run ADD req2 "$P2" eth9 "$TB_TMP/net.json" "IP=10.244.77.7"
tb_assert "an address in use is refused (IPAM error 100)" [ "$(cni_code)" = 100 ]
cni_run ADD req3 "$P2" eth9 "$TB_TMP/net.json" "IP=10.244.77.8"
tb_assert "CNI_ARGS IP= is honoured" [ "$(jq -r '.ips[0].address' "$TB_TMP/out.json")" = 10.244.77.8/32 ]
tb_assert "DEL req1" cni_run DEL req1 "$P1" eth0 "$TB_TMP/req.json"
tb_assert "DEL req3" cni_run DEL req3 "$P2" eth9
tb_assert "pod1's eth0 gone before the GC test" tb_wait_for 5 cni_ns_link_gone "$(tb_ns pod1)" eth0

# STATUS (1.1.0).
conf '{"cniVersion":"1.1.0","name":"tabby-net","type":"tabby","socket":"'$S'"}' >/dev/null
cp "$TB_TMP/c.json" "$TB_TMP/v11.json"
tb_assert "STATUS succeeds with tabbyd up" cni_run STATUS "" "" "" "$TB_TMP/v11.json"

# GC (1.1.0): pod1 and pod2 added, only pod2 listed as valid -> pod1 cleaned up.
tb_assert "ADD pod1" cni_run ADD gc1 "$P1" eth0
tb_assert "ADD pod2" cni_run ADD gc2 "$P2" eth0
jq '. + {"cni.dev/valid-attachments": [{"containerID": "gc2", "ifname": "eth0"}]}' "$TB_TMP/v11.json" >"$TB_TMP/gc.json"
tb_assert "GC" cni_run GC "" "" "" "$TB_TMP/gc.json"
tb_assert "GC removed pod1's endpoint and kept pod2's" \
	[ "$(cni_api GET /v1/endpoints | jq -r '[.[].containerID] | join(",")')" = gc2 ]
tb_assert "GC released pod1's addresses" \
	[ "$(cni_db "select count(*) from kv where key like '/tabby/v1/ipam/handles/tabby-net:gc1:%'")" = 0 ]
tb_assert "GC removed pod1's eth0" cni_ns_link_gone "$(tb_ns pod1)" eth0
tb_assert "pod2 still has eth0" ip -n "$(tb_ns pod2)" link show eth0

# Malformed requests straight to the API: 4xx with a message, tabbyd survives.
api_code() { curl -s -o "$TB_TMP/api.json" -w '%{http_code}' --unix-socket "$S" "$@"; }
tb_assert "non-JSON body -> 400" [ "$(api_code -d 'garbage' http://t/v1/cni/add)" = 400 ]
tb_assert "... with code 6" [ "$(jq .code "$TB_TMP/api.json")" = 6 ]
tb_assert "missing fields -> 400" [ "$(api_code -d '{}' http://t/v1/cni/add)" = 400 ]
tb_assert "... with code 7" [ "$(jq .code "$TB_TMP/api.json")" = 7 ]
tb_assert "bad ifName -> 400" [ "$(api_code -d '{"network":"n","containerID":"c","ifName":"a/b"}' http://t/v1/cni/del)" = 400 ]
tb_assert "... naming ifName" grep -q ifName "$TB_TMP/api.json"
tb_assert "unknown path -> 404" [ "$(api_code http://t/v2/nothing)" = 404 ]
tb_assert "wrong method -> 405" [ "$(api_code http://t/v1/cni/add)" = 405 ]
tb_assert "PUT refused" [ "$(api_code -X PUT http://t/v1/status)" -ge 400 ]
head -c 400000 /dev/zero | tr '\0' 'a' >"$TB_TMP/big"
tb_assert "oversized body refused" [ "$(api_code --data-binary @"$TB_TMP/big" http://t/v1/cni/add)" -ge 400 ]
# Raw bytes that are not HTTP, and a request cut off in the middle.
python3 - "$S" <<'EOP'
import socket, sys
for data in (b"NOT HTTP AT ALL\r\n\r\n", b"POST /v1/cni/add HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"net",
             b"\x00\xff" * 2000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(5)
    try:
        s.recv(4096)
    except OSError:
        pass
    s.close()
EOP
tb_assert "tabbyd still alive after malformed requests" kill -0 "$TABBYD_PID"
tb_assert "status still answers" cni_api GET /v1/status
tb_assert "API socket has mode 0600" [ "$(stat -c %a "$S")" = 600 ]

# A failed ADD leaves nothing behind: the pod already has an eth0, so the wiring
# fails after the addresses were assigned durably; all of it is undone.
tb_netns pod3
P3=/var/run/netns/$(tb_ns pod3)
ip -n "$(tb_ns pod3)" link add eth0 type veth peer name eth0p
count_keys() { cni_db "select count(*) from kv where key like '$1%'"; }
count_veths() { ip -n "$NODE_NS" -o link show | grep -c ': tabby' || true; }
wl_before=$(count_keys /tabby/v1/workloads/)
h_before=$(count_keys /tabby/v1/ipam/handles/)
veths_before=$(count_veths)
expect_error 101 "ADD into a pod whose eth0 exists" cni_run ADD cfail "$P3" eth0
tb_assert "failed ADD left no workload endpoint" [ "$(count_keys /tabby/v1/workloads/)" = "$wl_before" ]
tb_assert "failed ADD left no IPAM handle" [ "$(count_keys /tabby/v1/ipam/handles/)" = "$h_before" ]
tb_assert "failed ADD left no host veth" [ "$(count_veths)" = "$veths_before" ]
tb_assert "tabbyd still alive after the failed ADD" kill -0 "$TABBYD_PID"

# The agent down: STATUS says "not available" (50), ADD says "try again" (11).
cni_stop_tabbyd
expect_error 50 "STATUS with tabbyd down" cni_run STATUS "" "" "" "$TB_TMP/v11.json"
expect_error 11 "ADD with tabbyd down" cni_run ADD c9 "$P1" eth0
tb_log "PASS"
