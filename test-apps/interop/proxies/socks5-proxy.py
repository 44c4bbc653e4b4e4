#!/usr/bin/python3
"""socks5-proxy.py [-p PORT] [--auth USER:PASS]: a small SOCKS5 proxy (RFC 1928,
CONNECT only; RFC 1929 username/password when --auth) for the tests, on
127.0.0.1. Resolves names itself. Prints "listening on PORT" to stderr."""
import argparse, socket, struct, sys, threading


def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def rx(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise OSError("eof")
        b += d
    return b


def reply(c, rep):
    c.sendall(struct.pack(">BBBB", 5, rep, 0, 1) + bytes(4) + struct.pack(">H", 0))


def serve(c, auth):
    c.settimeout(10)
    try:
        ver, n = rx(c, 2)
        methods = rx(c, n)
        want = 2 if auth else 0
        if ver != 5 or want not in methods:
            c.sendall(b"\x05\xff")
            return
        c.sendall(bytes([5, want]))
        if auth:
            rx(c, 1)
            u = rx(c, rx(c, 1)[0]).decode()
            p = rx(c, rx(c, 1)[0]).decode()
            ok = "%s:%s" % (u, p) == auth
            c.sendall(b"\x01" + (b"\x00" if ok else b"\x01"))
            if not ok:
                return
        ver, cmd, _, atyp = rx(c, 4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, rx(c, 4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, rx(c, 16))
        else:
            host = rx(c, rx(c, 1)[0]).decode()
        port = struct.unpack(">H", rx(c, 2))[0]
        print("SOCKS5 CONNECT %s:%d" % (host, port), file=sys.stderr, flush=True)
        if cmd != 1:
            reply(c, 7)
            return
        try:
            u = socket.create_connection((host, port), timeout=5)
        except OSError:
            reply(c, 5)
            return
        # the bound address as a name, to exercise the variable-length reply
        bnd = b"proxy.local"
        c.sendall(struct.pack(">BBBBB", 5, 0, 0, 3, len(bnd)) + bnd +
                  struct.pack(">H", u.getsockname()[1]))
        c.settimeout(None)
        u.settimeout(None)
        t = threading.Thread(target=pipe, args=(u, c), daemon=True)
        t.start()
        pipe(c, u)
        t.join(30)
        u.close()
    except OSError:
        pass
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-p", type=int, default=0)
    ap.add_argument("--auth")
    a = ap.parse_args()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", a.p))
    s.listen(16)
    print("listening on %d" % s.getsockname()[1], file=sys.stderr, flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, a.auth), daemon=True).start()


if __name__ == "__main__":
    main()
