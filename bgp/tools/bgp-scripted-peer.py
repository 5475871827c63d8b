#!/usr/bin/env python3
"""A scripted BGP peer for tests of tabby's session layer (FSM corner cases).

Scenarios (run inside the peer's network namespace; tabby is at --tabby):
  collision   open a second connection while tabby's own is in OpenSent and
              check that RFC 4271 6.8 closes the right one with Cease/7
  hold        reach Established, then go silent: expect NOTIFICATION 4/0
  badhold     propose a Hold Time of 1 s: expect NOTIFICATION 2/6
  maxprefix   send --count prefixes, more than tabby allows: expect Cease/1
  gtsm        talk with TTL 64 to a peer configured with GTSM: tabby must
              never see our OPEN (no KEEPALIVE comes back)
  inject      send --count pre-encoded IPv4 /24s (one attribute set) and time
              until tabby's control socket (--ctl) reports them all accepted
Prints one line per check and exits non-zero on the first failure.
"""
import argparse
import socket
import struct
import sys
import time

MARKER = b"\xff" * 16


def msg(mtype, body=b""):
    return MARKER + struct.pack("!HB", 19 + len(body), mtype) + body


def open_msg(asn, hold, bgp_id):
    # Capabilities: MP IPv4 unicast (1), route refresh (2), four-octet AS (65).
    caps = b"\x01\x04\x00\x01\x00\x01" + b"\x02\x00" + b"\x41\x04" + struct.pack("!I", asn)
    params = b"\x02" + bytes([len(caps)]) + caps
    my_as = asn if asn < 65536 else 23456
    body = struct.pack("!BHH4sB", 4, my_as, hold, socket.inet_aton(bgp_id), len(params)) + params
    return msg(1, body)


KEEPALIVE = msg(4)


def recv_msg(sock, timeout):
    sock.settimeout(timeout)
    hdr = b""
    while len(hdr) < 19:
        chunk = sock.recv(19 - len(hdr))
        if not chunk:
            return None, b""
        hdr += chunk
    if hdr[:16] != MARKER:
        raise ValueError("bad marker")
    length, mtype = struct.unpack("!HB", hdr[16:19])
    body = b""
    while len(body) < length - 19:
        chunk = sock.recv(length - 19 - len(body))
        if not chunk:
            return None, b""
        body += chunk
    return mtype, body


def expect(sock, want, timeout, what):
    """Read until a message of type want (skipping KEEPALIVEs and UPDATEs unless wanted)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            fail(f"{what}: timed out waiting for message type {want}")
        try:
            mtype, body = recv_msg(sock, left)
        except socket.timeout:
            fail(f"{what}: timed out waiting for message type {want}")
        if mtype is None:
            fail(f"{what}: connection closed while waiting for message type {want}")
        if mtype == want:
            return body
        if mtype in (2, 4) and want in (1, 3):
            continue
        if mtype == 3:
            fail(f"{what}: got NOTIFICATION {body[0]}/{body[1]} instead of type {want}")
        fail(f"{what}: got message type {mtype} instead of {want}")


def fail(text):
    print(f"FAIL: {text}", flush=True)
    sys.exit(1)


def ok(text):
    print(f"ok: {text}", flush=True)


def notification_of(body):
    return f"{body[0]}/{body[1]}"


def scenario_collision(a):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, a.ttl)
    lsock.bind((a.local, 179))
    lsock.listen(4)
    print("listening", flush=True)
    lsock.settimeout(20)
    conn_a, _ = lsock.accept()  # tabby's own connection
    expect(conn_a, 1, 10, "tabby's OPEN on its connection")
    ok("tabby connected and sent its OPEN")
    conn_b = tcp_connect(a)
    expect(conn_b, 1, 10, "tabby's OPEN on our connection")
    ok("tabby accepted a second connection and sent its OPEN on it")
    conn_a.sendall(open_msg(a.asn, 9, a.id))
    conn_b.sendall(open_msg(a.asn, 9, a.id))
    tabby_id = struct.unpack("!I", socket.inet_aton(a.tabby_id))[0]
    our_id = struct.unpack("!I", socket.inet_aton(a.id))[0]
    # RFC 4271 6.8: the connection opened by the higher BGP Identifier survives.
    winner, loser = (conn_a, conn_b) if tabby_id > our_id else (conn_b, conn_a)
    wname = "tabby's" if winner is conn_a else "ours"
    body = expect(loser, 3, 10, "NOTIFICATION on the losing connection")
    if notification_of(body) != "6/7":
        fail(f"losing connection closed with {notification_of(body)}, want 6/7")
    ok(f"the losing connection got Cease/Connection Collision Resolution (6/7); kept {wname}")
    expect(winner, 4, 10, "KEEPALIVE on the winning connection")
    winner.sendall(KEEPALIVE)
    ok("the winning connection reached OpenConfirm")
    time.sleep(a.linger)
    winner.sendall(KEEPALIVE)


def tcp_connect(a):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, a.ttl)
    sock.settimeout(10)
    sock.bind((a.local, 0))
    sock.connect((a.tabby, 179))
    return sock


def connect_until_open(a):
    """Connect until tabby answers with its OPEN. Tabby refuses connections while
    its FSM sits in Idle (IdleHoldTimer after the previous session): retry like
    a real peer would."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        sock = tcp_connect(a)
        try:
            mtype, _ = recv_msg(sock, 5)
        except (socket.timeout, ConnectionResetError):
            mtype = None
        if mtype == 1:
            return sock
        sock.close()
        time.sleep(0.3)
    fail("tabby never accepted our connection")


def connect_and_open(a, hold):
    sock = connect_until_open(a)
    sock.sendall(open_msg(a.asn, hold, a.id))
    return sock


def scenario_hold(a):
    sock = connect_and_open(a, 3)
    expect(sock, 4, 10, "KEEPALIVE after OPEN")
    sock.sendall(KEEPALIVE)
    ok("Established with a 3 s hold time; going silent")
    start = time.monotonic()
    body = expect(sock, 3, 10, "NOTIFICATION after silence")
    took = time.monotonic() - start
    if notification_of(body) != "4/0":
        fail(f"got NOTIFICATION {notification_of(body)}, want 4/0")
    if not 2.0 <= took <= 5.0:
        fail(f"hold timer fired after {took:.1f} s, want about 3 s")
    ok(f"NOTIFICATION 4/0 (Hold Timer Expired) after {took:.1f} s")


def scenario_badhold(a):
    sock = connect_and_open(a, 1)
    body = expect(sock, 3, 10, "NOTIFICATION for hold time 1")
    if notification_of(body) != "2/6":
        fail(f"got NOTIFICATION {notification_of(body)}, want 2/6")
    ok("Hold Time 1 refused with OPEN Message Error / Unacceptable Hold Time (2/6)")


def scenario_maxprefix(a):
    sock = connect_and_open(a, 90)
    expect(sock, 4, 10, "KEEPALIVE after OPEN")
    sock.sendall(KEEPALIVE)
    sock.sendall(updates_for(a.count, a.asn, a.local))
    body = expect(sock, 3, 10, "NOTIFICATION for too many prefixes")
    if notification_of(body) != "6/1":
        fail(f"got NOTIFICATION {notification_of(body)}, want 6/1")
    ok("too many prefixes: Cease / Maximum Number of Prefixes Reached (6/1)")


def scenario_gtsm(a):
    # Tabby's OPEN (TTL 255) reaches us; everything we send (TTL a.ttl) must be
    # dropped by its IP_MINTTL, so it never answers our OPEN.
    sock = connect_until_open(a)
    sock.sendall(open_msg(a.asn, 90, a.id))
    try:
        mtype, _ = recv_msg(sock, 3)
    except (socket.timeout, ConnectionResetError):
        mtype = None
    if mtype is not None:
        fail(f"tabby answered an OPEN that arrived with TTL {a.ttl} (message type {mtype})")
    ok(f"tabby sent its OPEN but never saw ours, sent with TTL {a.ttl}")


def updates_for(count, asn, next_hop):
    """Pre-encoded UPDATEs: count /24s from 1.0.0.0 on, as many per message as fit."""
    attrs = (b"\x40\x01\x01\x00"                                  # ORIGIN IGP
             + b"\x40\x02\x06\x02\x01" + struct.pack("!I", asn)     # AS_PATH (4-octet)
             + b"\x40\x03\x04" + socket.inet_aton(next_hop))       # NEXT_HOP
    per = (4096 - 19 - 4 - len(attrs)) // 4
    out = []
    for start in range(0, count, per):
        n = min(per, count - start)
        nlri = b"".join(b"\x18" + ((0x10000 + i) & 0xFFFFFF).to_bytes(3, "big")
                        for i in range(start, start + n))
        out.append(msg(2, b"\x00\x00" + struct.pack("!H", len(attrs)) + attrs + nlri))
    return b"".join(out)


def tabby_accepted(ctl):
    import json
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(ctl)
    s.sendall(b"peers\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data)["peers"][0]["prefixes_accepted"]


def scenario_inject(a):
    blob = updates_for(a.count, a.asn, a.local)
    sock = connect_and_open(a, 90)
    expect(sock, 4, 10, "KEEPALIVE after OPEN")
    sock.sendall(KEEPALIVE)
    time.sleep(0.5)
    t0 = time.monotonic()
    sock.sendall(blob)
    while tabby_accepted(a.ctl) < a.count:
        if time.monotonic() - t0 > 60:
            fail("tabby did not accept every prefix within 60 s")
        time.sleep(0.01)
    took = time.monotonic() - t0
    ok(f"{a.count} prefixes in {len(blob) // 4096 + 1} UPDATEs accepted in {took:.3f} s")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=["collision", "hold", "badhold", "maxprefix", "gtsm", "inject"])
    p.add_argument("--tabby", required=True)
    p.add_argument("--tabby-id", default="198.18.0.1")
    p.add_argument("--local", required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--asn", type=int, default=65002)
    p.add_argument("--linger", type=float, default=2.0)
    p.add_argument("--count", type=int, default=1000000)
    p.add_argument("--ttl", type=int, default=255)
    p.add_argument("--ctl", help="tabby-bgpd's control socket (inject)")
    a = p.parse_args()
    globals()["scenario_" + a.scenario](a)


if __name__ == "__main__":
    main()
