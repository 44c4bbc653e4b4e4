#!/usr/bin/python3
"""connect-proxy.py [-p PORT] [--auth USER:PASS] [--stall-host NAME]: a small HTTP
CONNECT proxy for the tests, on 127.0.0.1. Prints "listening on PORT" to stderr once
it accepts, and "CONNECT HOST:PORT from ADDR" for each tunnel asked for. Answers 502
when the target refuses, 407 without the right Proxy-Authorization, and never
answers a CONNECT to NAME (a target that does not answer, for timeouts)."""
import argparse, base64, socket, sys, threading


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


def serve(c, auth, stall, peer):
    c.settimeout(10)
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 8192:
        d = c.recv(1)          # byte by byte: nothing past the head is taken
        if not d:
            c.close()
            return
        head += d
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    if len(parts) != 3 or parts[0] != "CONNECT":
        c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
        c.close()
        return
    if auth:
        want = "Basic " + base64.b64encode(auth.encode()).decode()
        got = [l.split(":", 1)[1].strip() for l in lines[1:]
               if l.lower().startswith("proxy-authorization:")]
        if got != [want]:
            c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
            c.close()
            return
    host, _, port = parts[1].rpartition(":")
    host = host.strip("[]")
    print("CONNECT %s:%s from %s" % (host, port, peer), file=sys.stderr, flush=True)
    if stall and host == stall:
        c.settimeout(None)
        c.recv(1)              # until the client gives up
        c.close()
        return
    try:
        u = socket.create_connection((host, int(port)), timeout=5)
    except OSError:
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
        c.close()
        return
    c.settimeout(None)
    u.settimeout(None)
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    t = threading.Thread(target=pipe, args=(u, c), daemon=True)
    t.start()
    pipe(c, u)
    t.join(30)
    c.close()
    u.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-p", type=int, default=0)
    ap.add_argument("--auth")
    ap.add_argument("--stall-host")
    a = ap.parse_args()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", a.p))
    s.listen(16)
    print("listening on %d" % s.getsockname()[1], file=sys.stderr, flush=True)
    while True:
        c, peer = s.accept()
        threading.Thread(target=serve, args=(c, a.auth, a.stall_host, peer[0]),
                         daemon=True).start()


if __name__ == "__main__":
    main()
