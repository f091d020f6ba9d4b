#!/usr/bin/env python3
"""Bounded test traffic that Node cannot make, run inside a namespace:
`ip netns exec NS python3 raw.py MODE ARGS...`. Prints one JSON line; exit 0 when every request
got its reply (or every datagram was sent), 1 otherwise. Nothing waits longer than its timeout.

  icmp4   DST COUNT                  ICMP echo requests, one at a time, each waiting for its reply
  icmp6   DST COUNT                  the same over ICMPv6
  arp     IFACE SRC_MAC SRC_IP DST_IP COUNT   ARP requests, waiting for each reply
  udp6ext DST PORT COUNT SIZE KIND   UDP over IPv6 with extension headers: KIND hop, dst or both
  udpbig  DST PORT COUNT SIZE        UDP datagrams fragmented by the sender (IPv4: DF off)
  vlan    IFACE SRC_MAC DST_MAC TAGS SRC_IP DST_IP DPORT COUNT SIZE
                                     VLAN-tagged UDP frames through a packet socket; TAGS is
                                     TPID:VID[:PCP] outermost first, comma-separated (8100:100,
                                     88a8:200,8100:300:5); addresses IPv4 or IPv6
"""
import json
import os
import select
import socket
import struct
import sys
import time

TIMEOUT_S = 5.0
MAX_COUNT = 10000


def done(result, ok):
    print(json.dumps(result), flush=True)
    sys.exit(0 if ok else 1)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def wait_for(sock, match):
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return False
        data = sock.recv(65535)
        if match(data):
            return True


def icmp(dst, count, v6):
    ident = os.getpid() & 0xFFFF
    if v6:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        req_type, rep_type = 128, 129
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        req_type, rep_type = 8, 0
    received = 0
    for seq in range(count):
        body = b"pcap-agent-test!" * 4
        head = struct.pack("!BBHHH", req_type, 0, 0, ident, seq)
        csum = 0 if v6 else checksum(head + body)  # the kernel fills the ICMPv6 checksum
        sock.sendto(struct.pack("!BBHHH", req_type, 0, csum, ident, seq) + body, (dst, 0))

        def is_reply(data, seq=seq):
            off = 0 if v6 else (data[0] & 0xF) * 4  # raw IPv4 sockets deliver the IP header
            t, _, _, i, s = struct.unpack("!BBHHH", data[off:off + 8])
            return t == rep_type and i == ident and s == seq

        if wait_for(sock, is_reply):
            received += 1
    done({"sent": count, "received": received}, received == count)


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def arp(iface, src_mac, src_ip, dst_ip, count):
    ETH_P_ARP = 0x0806
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    sock.bind((iface, ETH_P_ARP))
    smac, sip, dip = mac_bytes(src_mac), socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
    frame = (b"\xff" * 6 + smac + struct.pack("!H", ETH_P_ARP)
             + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + smac + sip + b"\0" * 6 + dip)
    received = 0
    for _ in range(count):
        sock.send(frame)

        def is_reply(data):
            # A PACKET_OUTGOING copy of our own request is not a reply: check the opcode and sender.
            return len(data) >= 42 and data[20:22] == b"\x00\x02" and data[28:32] == dip

        if wait_for(sock, is_reply):
            received += 1
    done({"sent": count, "received": received}, received == count)


def ext_header(total):
    # Next header (the kernel fills it in), length in 8-octet units beyond the first, then one
    # experimental option (RFC 4727 type 0x1e: "skip if unknown") filling the rest. Not padding:
    # Linux drops headers with more than 7 bytes of consecutive padding.
    return bytes([0, total // 8 - 1, 0x1E, total - 4]) + b"\x5a" * (total - 4)


def udp6ext(dst, port, count, size, kind):
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    IPV6_HOPOPTS, IPV6_DSTOPTS = 54, 59
    if kind in ("hop", "both"):
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_HOPOPTS, ext_header(8))
    if kind in ("dst", "both"):
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_DSTOPTS, ext_header(16))
    for i in range(count):
        sock.sendto(bytes([0x61 + i % 26]) * size, (dst, port))
    done({"sent": count}, True)


def udpbig(dst, port, count, size):
    v6 = ":" in dst
    sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    if not v6:
        IP_MTU_DISCOVER, IP_PMTUDISC_DONT = 10, 0
        sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    for i in range(count):
        sock.sendto(bytes([0x61 + i % 26]) * size, (dst, port))
    done({"sent": count}, True)


def udp_frame(src_ip, dst_ip, sport, dport, payload):
    """IPv4 or IPv6 + UDP, checksums filled in."""
    v6 = ":" in src_ip
    length = 8 + len(payload)
    if v6:
        s, d = socket.inet_pton(socket.AF_INET6, src_ip), socket.inet_pton(socket.AF_INET6, dst_ip)
        pseudo = s + d + struct.pack("!IxxxB", length, 17)
    else:
        s, d = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
        pseudo = s + d + struct.pack("!xBH", 17, length)
    udp = struct.pack("!HHHH", sport, dport, length, 0) + payload
    csum = checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    if v6:
        return 0x86DD, struct.pack("!IHBB", 6 << 28, length, 17, 64) + s + d + udp
    head = struct.pack("!BBHHHBBH", 0x45, 0, 20 + length, 0x1234, 0, 64, 17, 0) + s + d
    head = head[:10] + struct.pack("!H", checksum(head)) + head[12:]
    return 0x0800, head + udp


def vlan(iface, src_mac, dst_mac, tags, src_ip, dst_ip, dport, count, size):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    tag_bytes = b""
    for t in tags.split(","):
        parts = t.split(":")
        tpid, vid, pcp = int(parts[0], 16), int(parts[1]), int(parts[2]) if len(parts) > 2 else 0
        tag_bytes += struct.pack("!HH", tpid, (pcp << 13) | vid)
    for i in range(count):
        ethertype, ip = udp_frame(src_ip, dst_ip, 40000 + i, dport, bytes([0x61 + i % 26]) * size)
        sock.send(mac_bytes(dst_mac) + mac_bytes(src_mac) + tag_bytes + struct.pack("!H", ethertype) + ip)
    done({"sent": count}, True)


def main(argv):
    mode, args = argv[0], argv[1:]
    if mode in ("icmp4", "icmp6"):
        icmp(args[0], min(int(args[1]), MAX_COUNT), mode == "icmp6")
    elif mode == "arp":
        arp(args[0], args[1], args[2], args[3], min(int(args[4]), MAX_COUNT))
    elif mode == "udp6ext":
        udp6ext(args[0], int(args[1]), min(int(args[2]), MAX_COUNT), int(args[3]), args[4])
    elif mode == "vlan":
        vlan(*args[:6], int(args[6]), min(int(args[7]), MAX_COUNT), int(args[8]))
    elif mode == "udpbig":
        udpbig(args[0], int(args[1]), min(int(args[2]), MAX_COUNT), int(args[3]))
    else:
        print("unknown mode " + mode, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
