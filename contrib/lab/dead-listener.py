#!/usr/bin/python3
"""dead-listener.py: a name server that never answers. Binds UDP and TCP on
ADDR:PORT, reads everything and replies to nothing, so resolvers see real
timeouts. Usage: dead-listener.py ADDR PORT PIDFILE"""
import os
import selectors
import signal
import socket
import sys
import time


def main():
    addr, port, pidfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind((addr, port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, port))
    tcp.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(pidfile + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.rename(pidfile + ".tmp", pidfile)
    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ)
    sel.register(tcp, selectors.EVENT_READ)
    held = {}  # connections held open (and silent) until they are 30 s old
    while True:
        for key, _ in sel.select(timeout=1):
            sock = key.fileobj
            if sock is udp:
                udp.recvfrom(65535)
            elif sock is tcp:
                conn, _ = tcp.accept()
                sel.register(conn, selectors.EVENT_READ)
                held[conn] = time.monotonic()
            elif not sock.recv(65535):
                sel.unregister(sock)
                held.pop(sock, None)
                sock.close()
        for conn, since in list(held.items()):
            if time.monotonic() - since > 30:
                sel.unregister(conn)
                held.pop(conn)
                conn.close()


if __name__ == "__main__":
    main()
