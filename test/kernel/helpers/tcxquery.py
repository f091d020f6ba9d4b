#!/usr/bin/env python3
"""Which BPF programs are attached to an interface's tcx hooks, as the kernel says (BPF_PROG_QUERY;
Debian's bpftool 7.1 predates tcx and cannot show them per interface). Run in the interface's
namespace: `ip netns exec NS python3 tcxquery.py IFACE`. Prints
{"ingress": [{"prog": ID, "link": ID}, ...], "egress": [...]}."""
import ctypes
import json
import os
import platform
import socket
import sys

BPF_PROG_QUERY = 16
BPF_TCX_INGRESS, BPF_TCX_EGRESS = 46, 47
SYS_BPF = {"x86_64": 321, "aarch64": 280}[platform.machine()]
MAX = 64


class QueryAttr(ctypes.Structure):
    _fields_ = [
        ("target_ifindex", ctypes.c_uint32),
        ("attach_type", ctypes.c_uint32),
        ("query_flags", ctypes.c_uint32),
        ("attach_flags", ctypes.c_uint32),
        ("prog_ids", ctypes.c_uint64),
        ("count", ctypes.c_uint32),
        ("pad", ctypes.c_uint32),
        ("prog_attach_flags", ctypes.c_uint64),
        ("link_ids", ctypes.c_uint64),
        ("link_attach_flags", ctypes.c_uint64),
        ("revision", ctypes.c_uint64),
    ]


libc = ctypes.CDLL(None, use_errno=True)


def query(ifindex, attach_type):
    progs = (ctypes.c_uint32 * MAX)()
    links = (ctypes.c_uint32 * MAX)()
    attr = QueryAttr(target_ifindex=ifindex, attach_type=attach_type, count=MAX,
                     prog_ids=ctypes.addressof(progs), link_ids=ctypes.addressof(links))
    if libc.syscall(SYS_BPF, BPF_PROG_QUERY, ctypes.byref(attr), ctypes.sizeof(attr)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return [{"prog": progs[i], "link": links[i]} for i in range(attr.count)]


def main():
    ifindex = socket.if_nametoindex(sys.argv[1])
    print(json.dumps({"ingress": query(ifindex, BPF_TCX_INGRESS), "egress": query(ifindex, BPF_TCX_EGRESS)}))


if __name__ == "__main__":
    main()
