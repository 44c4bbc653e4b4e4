#!/usr/bin/python3
"""h2-ws-conformance.py: RFC 8441 (WebSocket over HTTP/2, extended CONNECT) cases
with raw frames against an h2c server whose WebSocket protocol at --path echoes
each message (loom-test-server's loom-echo, its default protocol). Uses the
connection helpers of h2-conformance.py beside it; each case opens its own
connection and expects the right status, RST_STREAM code, ws close code or echo.

usage: h2-ws-conformance.py [--path /P] [--protocol NAME] [--no-setting]
                            [--timeout S] [-k SUBSTR] [-v] PORT

With --no-setting the server is expected not to offer the extended CONNECT: the
cases check that it does not, and that a request with :protocol is then malformed
(RST_STREAM PROTOCOL_ERROR). Prints one line per case and "N passed, M failed";
exits 0 only when nothing failed.
"""
import argparse
import importlib.util
import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True	# nothing written into the source tree
_spec = importlib.util.spec_from_file_location(
    "h2conf", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "h2-conformance.py"))
h2c = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h2c)
Conn, Fail, Closed = h2c.Conn, h2c.Fail, h2c.Closed
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = \
    h2c.DATA, h2c.HEADERS, h2c.RST_STREAM, h2c.SETTINGS, h2c.PING, h2c.GOAWAY, \
    h2c.WINDOW_UPDATE
END_STREAM, END_HEADERS = h2c.END_STREAM, h2c.END_HEADERS
S_ENABLE_CONNECT_PROTOCOL = 8
S_INITIAL_WINDOW_SIZE = 4

CASES = []


def case(cid, desc, needs_setting=True):
    def reg(fn):
        CASES.append((cid, desc, needs_setting, fn))
        return fn
    return reg


def ws_frame(op, payload, fin=True, rsv=0, mask=True):
    b0 = (0x80 if fin else 0) | rsv | op
    n = len(payload)
    if n < 126:
        h = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
    elif n < 65536:
        h = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
    else:
        h = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
    if not mask:
        return h + payload
    key = os.urandom(4)
    return h + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def connect_headers(c, protocol="websocket", extra=(), drop=(), version="13"):
    a = c.args
    h = [(":method", "CONNECT"), (":protocol", protocol), (":scheme", "http"),
         (":path", a.path), (":authority", "%s:%d" % (a.host, a.port))]
    if version:
        h.append(("sec-websocket-version", version))
    if a.protocol:
        h.append(("sec-websocket-protocol", a.protocol))
    return [x for x in h if x[0] not in drop] + list(extra)


def open_ws(c, sid, settings=()):
    """handshake, extended CONNECT on sid, the 200; returns the headers"""
    c.handshake(settings)
    if c.server_settings.get(S_ENABLE_CONNECT_PROTOCOL) != 1:
        raise Fail("SETTINGS_ENABLE_CONNECT_PROTOCOL is not 1")
    c.send_headers(sid, connect_headers(c), flags=END_HEADERS)
    return wait_headers(c, sid, "200")


def wait_headers(c, sid, status):
    deadline = time.monotonic() + c.args.timeout
    while True:
        st = c.streams.get(sid)
        if st and st.headers is not None:
            h = dict(st.headers)
            if h.get(":status") != status:
                raise Fail(":status %s, wanted %s" % (h.get(":status"), status))
            return h
        if st and st.rst:
            raise Fail("%s, wanted :status %s" % (st.rst, status))
        read(c, deadline)


def read(c, deadline):
    try:
        t, fl, s, p, _ = c.read_frame(max(0.01, deadline - time.monotonic()))
    except socket.timeout:
        raise Fail("timed out")
    if t == GOAWAY:
        raise Fail(c._describe(t, fl, s, p))
    return t, fl, s, p


class WsIn:
    """the server's ws frames (unmasked) out of a stream's DATA"""

    def __init__(self, c, sid):
        self.c, self.sid, self.pos = c, sid, 0

    def frame(self):
        """(fin, opcode, payload) of the next frame, waiting for it"""
        deadline = time.monotonic() + self.c.args.timeout
        while True:
            st = self.c.streams.get(self.sid)
            d = st.body if st else b""
            f = self._parse(d)
            if f:
                return f
            if st and (st.done or st.rst):
                raise Fail("stream %d ended (%s) before a ws frame" %
                           (self.sid, st.rst or "END_STREAM"))
            read(self.c, deadline)

    def _parse(self, d):
        p = self.pos
        if len(d) - p < 2:
            return None
        b0, b1 = d[p], d[p + 1]
        n, p = b1 & 0x7f, p + 2
        if b1 & 0x80:
            raise Fail("a masked frame from the server")
        if n >= 126:
            k = 2 if n == 126 else 8
            if len(d) - p < k:
                return None
            n, p = int.from_bytes(d[p:p + k], "big"), p + k
        if len(d) - p < n:
            return None
        self.pos = p + n
        return (bool(b0 & 0x80), b0 & 0x0f, d[p:p + n])

    def expect(self, op, payload=None):
        fin, o, pl = self.frame()
        if o != op or (payload is not None and pl != payload) or not fin:
            raise Fail("ws frame opcode %d (%d bytes, fin %s), wanted opcode %d%s" %
                       (o, len(pl), fin, op, "" if payload is None else
                        " with %d bytes" % len(payload)))
        return pl

    def expect_close(self, code):
        pl = self.expect(8)
        got = struct.unpack("!H", pl[:2])[0] if len(pl) >= 2 else None
        if got != code:
            raise Fail("ws close %s, wanted %d" % (got, code))


def expect_end(c, sid):
    """the stream ends: END_STREAM (maybe then RST_STREAM NO_ERROR) or RST"""
    deadline = time.monotonic() + c.args.timeout
    while True:
        st = c.streams.get(sid)
        if st and (st.done or st.rst):
            return
        read(c, deadline)


def send_ws(c, sid, data, flags=0):
    c.send_frame(DATA, flags, sid, data)


# ---- RFC 8441 3: the setting ----

@case("8441-3/1", "SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 in the server's SETTINGS")
def _(c):
    c.handshake()
    v = c.server_settings.get(S_ENABLE_CONNECT_PROTOCOL)
    if v != 1:
        raise Fail("SETTINGS_ENABLE_CONNECT_PROTOCOL is %r" % v)


@case("8441-3/2", "not offered: no SETTINGS_ENABLE_CONNECT_PROTOCOL, and :protocol "
      "is malformed (PROTOCOL_ERROR)", needs_setting=False)
def _(c):
    c.handshake()
    if c.args.no_setting:
        if c.server_settings.get(S_ENABLE_CONNECT_PROTOCOL):
            raise Fail("the setting is offered")
        c.send_headers(1, connect_headers(c), flags=END_HEADERS)
        c.expect_stream_error(1, h2c.PROTOCOL_ERROR)
        c.expect_alive()
    elif c.server_settings.get(S_ENABLE_CONNECT_PROTOCOL) != 1:
        raise Fail("the setting is not offered")


# ---- RFC 8441 4: the extended CONNECT ----

@case("8441-4/1", "extended CONNECT websocket: 200, the stream stays open, no "
      "sec-websocket-accept")
def _(c):
    h = open_ws(c, 1)
    if "sec-websocket-accept" in h:
        raise Fail("sec-websocket-accept over h2")
    if c.streams[1].done:
        raise Fail("END_STREAM on the 200")


@case("8441-4/2", ":protocol on a GET: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers(extra=[(":protocol", "websocket")])[:4] +
                   [(":protocol", "websocket")])
    c.expect_stream_error(1, h2c.PROTOCOL_ERROR)


@case("8441-4/3", "extended CONNECT without :scheme: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_headers(1, connect_headers(c, drop=(":scheme",)), flags=END_HEADERS)
    c.expect_stream_error(1, h2c.PROTOCOL_ERROR)
    c.expect_alive()


@case("8441-4/4", "extended CONNECT without :path: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_headers(1, connect_headers(c, drop=(":path",)), flags=END_HEADERS)
    c.expect_stream_error(1, h2c.PROTOCOL_ERROR)
    c.expect_alive()


@case("8441-4/5", ":protocol twice: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    h = connect_headers(c)
    c.send_headers(1, h[:2] + [(":protocol", "websocket")] + h[2:], flags=END_HEADERS)
    c.expect_stream_error(1, h2c.PROTOCOL_ERROR)


@case("8441-4/6", ":protocol after a regular field: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    h = [x for x in connect_headers(c) if x[0] != ":protocol"] + \
        [(":protocol", "websocket")]
    c.send_headers(1, h, flags=END_HEADERS)
    c.expect_stream_error(1, h2c.PROTOCOL_ERROR)


@case("8441-4/7", "an unknown :protocol: 501, the connection goes on")
def _(c):
    c.handshake()
    c.send_headers(1, connect_headers(c, protocol="no-such-protocol"),
                   flags=END_HEADERS)
    wait_headers(c, 1, "501")
    c.expect_alive()


@case("8441-4/8", "extended CONNECT websocket with END_STREAM: 400")
def _(c):
    c.handshake()
    c.send_headers(1, connect_headers(c))
    wait_headers(c, 1, "400")


@case("8441-4/9", "no sec-websocket-version: 426 with sec-websocket-version 13")
def _(c):
    c.handshake()
    c.send_headers(1, connect_headers(c, version=None), flags=END_HEADERS)
    h = wait_headers(c, 1, "426")
    if h.get("sec-websocket-version") != "13":
        raise Fail("sec-websocket-version %r" % h.get("sec-websocket-version"))


# ---- RFC 8441 5: the WebSocket on the stream ----

@case("8441-5/1", "a text message in DATA is echoed")
def _(c):
    open_ws(c, 1)
    send_ws(c, 1, ws_frame(1, b"hello over h2"))
    WsIn(c, 1).expect(1, b"hello over h2")


@case("8441-5/2", "a ws frame in 1-byte DATA frames is echoed")
def _(c):
    open_ws(c, 1)
    for b in ws_frame(2, bytes(range(200))):
        send_ws(c, 1, bytes([b]))
    WsIn(c, 1).expect(2, bytes(range(200)))


@case("8441-5/3", "two ws streams and a GET at once")
def _(c):
    open_ws(c, 1)
    c.send_headers(3, connect_headers(c), flags=END_HEADERS)
    wait_headers(c, 3, "200")
    c.get(5, path="/")
    send_ws(c, 3, ws_frame(1, b"three"))
    send_ws(c, 1, ws_frame(1, b"one"))
    WsIn(c, 3).expect(1, b"three")
    WsIn(c, 1).expect(1, b"one")
    c.expect_response(5)


@case("8441-5/4", "ping: pong with the same payload")
def _(c):
    open_ws(c, 1)
    send_ws(c, 1, ws_frame(9, b"are you there"))
    WsIn(c, 1).expect(10, b"are you there")


@case("8441-5/5", "a reserved opcode: close 1002 and the stream ends; the "
      "connection goes on")
def _(c):
    open_ws(c, 1)
    send_ws(c, 1, ws_frame(3, b"x"))
    WsIn(c, 1).expect_close(1002)
    send_ws(c, 1, ws_frame(8, struct.pack("!H", 1002)))
    expect_end(c, 1)
    c.expect_alive()


@case("8441-5/6", "invalid UTF-8 in a text message: close 1007")
def _(c):
    open_ws(c, 1)
    send_ws(c, 1, ws_frame(1, b"ok \xc3\x28"))
    WsIn(c, 1).expect_close(1007)


@case("8441-5/7", "an unmasked frame from the client: close 1002")
def _(c):
    open_ws(c, 1)
    send_ws(c, 1, ws_frame(1, b"bare", mask=False))
    WsIn(c, 1).expect_close(1002)


@case("8441-5/8", "the close handshake: the close echoed, then END_STREAM")
def _(c):
    open_ws(c, 1)
    send_ws(c, 1, ws_frame(8, struct.pack("!H", 1000)))
    WsIn(c, 1).expect_close(1000)
    expect_end(c, 1)
    if not c.streams[1].done:
        raise Fail("%s without END_STREAM" % c.streams[1].rst)


@case("8441-5/9", "END_STREAM from the client without a close frame: the server "
      "ends the stream")
def _(c):
    open_ws(c, 1)
    send_ws(c, 1, b"", flags=END_STREAM)
    expect_end(c, 1)
    c.expect_alive()


@case("8441-5/11", "RST_STREAM on one ws stream: the other goes on")
def _(c):
    open_ws(c, 1)
    c.send_headers(3, connect_headers(c), flags=END_HEADERS)
    wait_headers(c, 3, "200")
    c.send_frame(RST_STREAM, 0, 1, struct.pack(">I", h2c.CANCEL))
    send_ws(c, 3, ws_frame(1, b"still"))
    WsIn(c, 3).expect(1, b"still")


@case("8441-5/12", "the server's ws frames respect our stream window")
def _(c):
    open_ws(c, 1, settings=[(S_INITIAL_WINDOW_SIZE, 10)])
    c.auto_window = False
    send_ws(c, 1, ws_frame(2, bytes(100)))
    c.expect_data_len(1, 10, timeout=0.5)
    c.send_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 1000))
    c.expect_data_len(1, 92, timeout=0.5)
    if c.streams[1].body != ws_frame(2, bytes(100), mask=False):
        raise Fail("the echo is not the message")


@case("8441-5/13", "a fragmented message with a ping between its fragments")
def _(c):
    open_ws(c, 1)
    send_ws(c, 1, ws_frame(1, b"ab", fin=False) + ws_frame(9, b"p") +
            ws_frame(0, b"cd"))
    w = WsIn(c, 1)
    w.expect(10, b"p")
    w.expect(1, b"abcd")


@case("8441-5/14", "GOAWAY from the client: the ws is closed with 1001, then the "
      "stream and the connection end")
def _(c):
    open_ws(c, 1)
    c.send_frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0))
    WsIn(c, 1).expect_close(1001)
    send_ws(c, 1, ws_frame(8, struct.pack("!H", 1001)))
    expect_end(c, 1)
    deadline = time.monotonic() + c.args.timeout
    try:
        while True:	# the server's own GOAWAY NO_ERROR may come first
            t, fl, s, p, _ = c.read_frame(max(0.01, deadline - time.monotonic()))
            if t == GOAWAY and struct.unpack(">I", p[4:8])[0] != h2c.NO_ERROR:
                raise Fail(c._describe(t, fl, s, p))
    except socket.timeout:
        raise Fail("the connection stayed open")
    except Closed:
        return


def main():
    ap = argparse.ArgumentParser(description="RFC 8441 (WebSocket over h2c) cases")
    ap.add_argument("port", type=int)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--path", default="/")
    ap.add_argument("--protocol", default=None,
                    help="sec-websocket-protocol to ask for (default: none)")
    ap.add_argument("--no-setting", action="store_true",
                    help="the server is expected not to offer the extended CONNECT")
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("-k", dest="filter", default=None)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    args.post_path = args.path

    passed, failed = 0, []
    for cid, desc, needs_setting, fn in CASES:
        if args.filter and args.filter not in cid and args.filter not in desc:
            continue
        if args.no_setting and needs_setting:
            continue
        try:
            c = Conn(args)
        except OSError as e:
            print("FAIL %-10s %s: connect: %s" % (cid, desc, e))
            failed.append(cid)
            continue
        try:
            fn(c)
            print("ok   %-10s %s" % (cid, desc))
            passed += 1
        except (Fail, Closed) as e:
            print("FAIL %-10s %s: %s" % (cid, desc, e))
            if args.v:
                print("       frames received: " + "; ".join(c.log[-30:]))
            failed.append(cid)
        except Exception as e:	# a bug in a case or a frame we cannot parse
            print("FAIL %-10s %s: %s: %s" % (cid, desc, type(e).__name__, e))
            failed.append(cid)
        finally:
            c.close()
    print("%d passed, %d failed" % (passed, len(failed)))
    if failed:
        print("failed: " + " ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
