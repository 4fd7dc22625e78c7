"""dns_server.py: what the lab's Python test servers (hostile.py,
hostile_dnssec.py) share: UDP and TCP on port 53 of one address, the pid
file written once they listen, SIGTERM to stop, and DNS messages read from
a TCP stream by their two-byte length."""
import os
import signal
import socket
import struct
import threading


def read_messages(conn):
    """Yields each length-prefixed message from a TCP connection until the
    peer closes it (a message cut short ends it too)."""
    while True:
        head = conn.recv(2)
        if len(head) < 2:
            return
        need = struct.unpack("!H", head)[0]
        wire = b""
        while len(wire) < need:
            chunk = conn.recv(need - len(wire))
            if not chunk:
                return
            wire += chunk
        yield wire


def serve(addr, pidfile, serve_udp, serve_tcp_conn):
    """Binds UDP and TCP port 53 on `addr`, runs serve_udp(sock) in a
    thread, writes `pidfile`, then gives each TCP connection to
    serve_tcp_conn(conn) in a thread of its own. Never returns: SIGTERM
    ends the process."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind((addr, 53))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, 53))
    tcp.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=serve_udp, args=(udp,), daemon=True).start()
    with open(pidfile, "w") as f:
        f.write(f"{os.getpid()}\n")
    while True:
        conn, _ = tcp.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn,), daemon=True).start()
