#!/usr/bin/env python3
"""Processes whose packets a capture attributes, run inside a namespace:

  ip netns exec NS python3 process-traffic.py client HOST UDP_PORT TCP_PORT COUNT [CHILD_UDP_PORT]
  ip netns exec NS python3 process-traffic.py server HOST TCP_PORT

client: prints "ready" and waits for SIGUSR1 before it opens any socket (so a capture can be
started for its pid first); then sends COUNT UDP datagrams to HOST:UDP_PORT (IPv4 or IPv6), each
waiting for its echo, and at the same time COUNT bytes over one TCP connection to HOST:TCP_PORT,
reading the reply to its end. With CHILD_UDP_PORT it then forks a child that sends COUNT echoed
datagrams to HOST:CHILD_UDP_PORT from a socket of its own.
server: listens on HOST:TCP_PORT, prints "ready", accepts one connection, reads it to its end and
replies with 100 bytes.

Each prints one JSON line (its pid, its executable, its argv, the child's pid), then stays (its
child too) until a second SIGUSR1, so that whoever reads /proc about it finds it there; exit 0 when
every reply came. Nothing waits longer than its timeout.
"""
import json
import os
import signal
import socket
import sys
import threading

TIMEOUT_S = 10.0
MAX_COUNT = 10000


def wait_for_signal():
    signal.sigwait([signal.SIGUSR1])


def udp_pings(host, port, count):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT_S)
    for seq in range(count):
        s.sendto(seq.to_bytes(4, "big"), (host, port))
        s.recvfrom(64)
    s.close()


def tcp_exchange(host, port, count, result):
    with socket.create_connection((host, port), timeout=TIMEOUT_S) as s:
        s.sendall(b"x" * count)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
        result["tcp"] = True


def child_pings(host, port, count):
    """A child with a socket of its own; says on a pipe whether its pings came back, then stays."""
    done_r, done_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(done_r)
        try:
            udp_pings(host, port, count)
            os.write(done_w, b"1")
        except OSError:
            os.write(done_w, b"0")
        wait_for_signal()
        os._exit(0)
    os.close(done_w)
    ok = os.read(done_r, 1) == b"1"
    os.close(done_r)
    return child, ok


def client(host, udp_port, tcp_port, count, child_port=None):
    print("ready", flush=True)
    wait_for_signal()
    result = {}
    tcp = threading.Thread(target=tcp_exchange, args=(host, int(tcp_port), count, result))
    tcp.start()
    udp_pings(host, int(udp_port), count)
    tcp.join(TIMEOUT_S)
    ok = result.pop("tcp", False)
    child = None
    if child_port is not None:
        child, child_ok = child_pings(host, int(child_port), count)
        ok = ok and child_ok
    return ok, child


def server(host, tcp_port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT_S)
        s.bind((host, int(tcp_port)))
        s.listen(1)
        print("ready", flush=True)
        conn, _ = s.accept()
        with conn:
            conn.settimeout(TIMEOUT_S)
            while conn.recv(65536):
                pass
            conn.sendall(b"y" * 100)
    return True, None


def main(argv):
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    signal.alarm(int(3 * TIMEOUT_S))  # the whole run is bounded, waiting included
    role, args = argv[0], argv[1:]
    if role == "client":
        ok, child = client(args[0], args[1], args[2], min(int(args[3]), MAX_COUNT), *args[4:5])
    else:
        ok, child = server(args[0], args[1])
    # What /proc says of this process, as it sees itself: its executable and its argv (an
    # interpreter launcher may have exec'd it under another argv[0]).
    report = {"pid": os.getpid(), "exe": os.path.realpath(sys.executable), "args": " ".join(sys.orig_argv)}
    if child is not None:
        report["child"] = child
    print(json.dumps(report), flush=True)
    wait_for_signal()
    if child is not None:
        os.kill(child, signal.SIGUSR1)
        ok = os.waitpid(child, 0)[1] == 0 and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
