#!/usr/bin/python3
"""ws-over-h2.py: WebSocket over HTTP/2 (RFC 8441) against loom-test-server, with
Debian's python3-h2 as the h2 client and our own ws framing (masked, optionally
permessage-deflate).

usage: ws-over-h2.py [--tls] [--no-setting] PORT

On one h2 connection (h2c prior knowledge, or TLS with ALPN h2 with --tls) it opens
two ws streams (loom-echo, one with permessage-deflate) and a GET at once, echoes
text and binary messages of several sizes on both (fragmented ones, and ones larger
than the flow-control windows both ways), sends a bad frame on one stream and checks
that only that stream is closed (1002, then the stream ends) while the other and a
new GET go on, closes the other with the close handshake and END_STREAM, and checks
the refusals: unknown :protocol (501), sec-websocket-version 12 (426), :protocol
without :path (RST_STREAM PROTOCOL_ERROR), a reset ws stream, and GOAWAY (the ws
closed with 1001, then the connection). With
--no-setting the server is expected not to offer the extended CONNECT: the setting
is absent and a :protocol request is reset with PROTOCOL_ERROR.

Exits 0 only when every check passed.
"""
import os
import socket
import ssl
import struct
import sys
import time
import zlib

import h2.config
import h2.connection
import h2.events
import h2.settings

TIMEOUT = 20
fails = 0


def ok(msg):
    print("ok: " + msg)


def bad(msg):
    global fails
    fails += 1
    print("FAIL: " + msg)


class Stream:
    def __init__(self, sid):
        self.sid = sid
        self.headers = None
        self.data = bytearray()
        self.ended = False
        self.reset = None


class Client:
    def __init__(self, port, tls):
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            s = ctx.wrap_socket(s, server_hostname="localhost")
            if s.selected_alpn_protocol() != "h2":
                raise Exception("ALPN did not select h2")
        self.sock = s
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                        validate_outbound_headers=False,
                                        normalize_outbound_headers=False)
        self.h2 = h2.connection.H2Connection(config=cfg)
        self.h2.initiate_connection()
        self.streams = {}
        self.goaway = None
        self.closed = False
        self.flush()
        # the server's SETTINGS
        self.pump(lambda: self.got_settings)

    got_settings = False

    def flush(self):
        out = self.h2.data_to_send()
        if out:
            self.sock.sendall(out)

    def stream(self, sid):
        if sid not in self.streams:
            self.streams[sid] = Stream(sid)
        return self.streams[sid]

    def pump(self, until, timeout=TIMEOUT):
        t0 = time.monotonic()
        while not until():
            if self.closed:
                return False
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                return False
            self.sock.settimeout(min(left, 1.0))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ssl.SSLError, ConnectionError):
                self.closed = True
                return until()
            if not d:
                self.closed = True
                return until()
            for ev in self.h2.receive_data(d):
                self.event(ev)
            self.flush()
        return True

    def event(self, ev):
        if isinstance(ev, h2.events.RemoteSettingsChanged):
            self.got_settings = True
        elif isinstance(ev, h2.events.ResponseReceived):
            self.stream(ev.stream_id).headers = dict(ev.headers)
        elif isinstance(ev, h2.events.DataReceived):
            st = self.stream(ev.stream_id)
            st.data += ev.data
            # the data is taken at once: the windows are given back at once
            self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            self.stream(ev.stream_id).ended = True
        elif isinstance(ev, h2.events.StreamReset):
            self.stream(ev.stream_id).reset = ev.error_code
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.goaway = ev.error_code

    def request(self, headers, end=True):
        sid = self.h2.get_next_available_stream_id()
        self.stream(sid)
        self.h2.send_headers(sid, headers, end_stream=end)
        self.flush()
        return sid

    def send(self, sid, data, end=False):
        """DATA within the peer's windows, waiting for WINDOW_UPDATEs"""
        data = bytes(data)
        while True:
            while data:
                win = min(self.h2.local_flow_control_window(sid),
                          self.h2.max_outbound_frame_size)
                if win <= 0:
                    break
                self.h2.send_data(sid, data[:win])
                data = data[win:]
            self.flush()
            if not data:
                break
            if not self.pump(lambda: self.h2.local_flow_control_window(sid) > 0):
                raise Exception("no window on stream %d" % sid)
        if end:
            self.h2.end_stream(sid)
            self.flush()


def ws_frame(op, payload, fin=True, rsv1=False, mask=True):
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | op
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        h = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        h = struct.pack("!BBH", b0, m | 126, n)
    else:
        h = struct.pack("!BBQ", b0, m | 127, n)
    if not mask:
        return h + payload
    key = os.urandom(4)
    k = (key * (n // 4 + 1))[:n]
    return h + key + bytes(a ^ b for a, b in zip(payload, k)) if n < 4096 else \
        h + key + (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


class WsReader:
    """server frames (unmasked) out of a stream's DATA"""

    def __init__(self, st, pmd=False):
        self.st = st
        self.pos = 0
        self.pmd = pmd
        self.inflater = zlib.decompressobj(-15)
        self.frag = None

    def frame(self):
        d = self.st.data
        p = self.pos
        if len(d) - p < 2:
            return None
        b0, b1 = d[p], d[p + 1]
        n = b1 & 0x7f
        p += 2
        if n == 126:
            if len(d) - p < 2:
                return None
            n = struct.unpack("!H", d[p:p + 2])[0]
            p += 2
        elif n == 127:
            if len(d) - p < 8:
                return None
            n = struct.unpack("!Q", d[p:p + 8])[0]
            p += 8
        if b1 & 0x80:
            raise Exception("masked frame from the server")
        if len(d) - p < n:
            return None
        pl = bytes(d[p:p + n])
        self.pos = p + n
        return (b0 & 0x80 != 0, b0 & 0x40 != 0, b0 & 0x0f, pl)

    def message(self):
        """the next whole message or control frame: (opcode, payload) or None"""
        while True:
            f = self.frame()
            if not f:
                return None
            fin, rsv1, op, pl = f
            if op >= 8:
                return (op, pl)
            if op != 0:
                self.frag = [op, rsv1, bytearray()]
            self.frag[2] += pl
            if fin:
                op, comp, msg = self.frag
                self.frag = None
                if comp:
                    msg = self.inflater.decompress(bytes(msg) + b"\x00\x00\xff\xff")
                return (op, bytes(msg))


def deflate_msg(c, payload):
    out = c.compress(payload) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def ws_open(cl, scheme, extra=(), proto="loom-echo", path="/"):
    hdrs = [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", scheme),
            (":path", path), (":authority", "127.0.0.1"),
            ("sec-websocket-version", "13")]
    if proto:
        hdrs.append(("sec-websocket-protocol", proto))
    hdrs += list(extra)
    return cl.request(hdrs, end=False)


def expect(cl, rd, want_op, want, label, timeout=TIMEOUT):
    got = []

    def have():
        m = rd.message()
        if m:
            got.append(m)
        return bool(got)
    if not cl.pump(have, timeout):
        bad("%s: nothing came back (stream ended %s, reset %s)" %
            (label, rd.st.ended, rd.st.reset))
        return None
    op, pl = got[0]
    if op != want_op or (want is not None and pl != want):
        bad("%s: got opcode %d, %d bytes (wanted %d, %s bytes)" %
            (label, op, len(pl), want_op, len(want) if want is not None else "?"))
        return None
    return pl


def main():
    global fails
    args = sys.argv[1:]
    tls = "--tls" in args
    no_setting = "--no-setting" in args
    port = int([a for a in args if not a.startswith("--")][0])
    scheme = "https" if tls else "http"
    label = "TLS" if tls else "h2c"

    cl = Client(port, tls)
    setting = cl.h2.remote_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL)
    if no_setting:
        if setting:
            bad("%s: SETTINGS_ENABLE_CONNECT_PROTOCOL is %r, not offered expected" %
                (label, setting))
        else:
            ok("%s: SETTINGS_ENABLE_CONNECT_PROTOCOL not offered" % label)
        # a :protocol the server did not enable is malformed: RST PROTOCOL_ERROR
        sid = ws_open(cl, scheme)
        cl.pump(lambda: cl.streams[sid].reset is not None or cl.streams[sid].headers)
        st = cl.streams[sid]
        if st.reset == 1 and not st.headers:
            ok("%s: :protocol without the setting: RST_STREAM PROTOCOL_ERROR" % label)
        else:
            bad("%s: :protocol without the setting: reset %r, headers %r" %
                (label, st.reset, st.headers))
        # the connection goes on
        g = cl.request([(":method", "GET"), (":scheme", scheme), (":path", "/"),
                        (":authority", "127.0.0.1")])
        cl.pump(lambda: cl.streams[g].ended)
        if cl.streams[g].headers and cl.streams[g].headers.get(":status") == "200":
            ok("%s: GET after it on the same connection" % label)
        else:
            bad("%s: GET after it: %r" % (label, cl.streams[g].headers))
        return 1 if fails else 0

    if setting == 1:
        ok("%s: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1" % label)
    else:
        bad("%s: SETTINGS_ENABLE_CONNECT_PROTOCOL is %r" % (label, setting))
        return 1

    # two ws streams and a GET, all open at once
    a = ws_open(cl, scheme)
    b = ws_open(cl, scheme, [("sec-websocket-extensions",
                              "permessage-deflate; client_max_window_bits")])
    g = cl.request([(":method", "GET"), (":scheme", scheme), (":path", "/"),
                    (":authority", "127.0.0.1")])
    cl.pump(lambda: cl.streams[a].headers and cl.streams[b].headers and
            cl.streams[g].ended)
    ha, hb, hg = cl.streams[a].headers, cl.streams[b].headers, cl.streams[g].headers
    if ha and ha.get(":status") == "200" and ha.get("sec-websocket-protocol") == \
            "loom-echo" and "sec-websocket-accept" not in ha and \
            not cl.streams[a].ended:
        ok("%s: ws stream %d open: 200, sec-websocket-protocol loom-echo" % (label, a))
    else:
        bad("%s: ws stream %d: %r" % (label, a, ha))
        return 1
    pmd = bool(hb and "permessage-deflate" in hb.get("sec-websocket-extensions", ""))
    if hb and hb.get(":status") == "200" and pmd:
        ok("%s: ws stream %d open with %s" % (label, b,
                                              hb["sec-websocket-extensions"]))
    else:
        bad("%s: ws stream %d: %r" % (label, b, hb))
        return 1
    if hg and hg.get(":status") == "200" and len(cl.streams[g].data) > 100:
        ok("%s: GET on stream %d beside them: 200, %d bytes" %
           (label, g, len(cl.streams[g].data)))
    else:
        bad("%s: GET beside the ws streams: %r" % (label, hg))

    ra, rb = WsReader(cl.streams[a]), WsReader(cl.streams[b], pmd=True)
    comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    sizes = [0, 1, 125, 126, 65535, 65536, 300000]
    for n in sizes:
        for op in (1, 2):
            msg = (b"abcdefghij" * (n // 10 + 1))[:n] if op == 1 else os.urandom(n)
            # both streams at once, a's frame first, then b's (compressed)
            cl.send(a, ws_frame(op, msg))
            cl.send(b, ws_frame(op, deflate_msg(comp, msg), rsv1=True))
            kind = "text" if op == 1 else "binary"
            if expect(cl, ra, op, msg, "%s: a %s %d" % (label, kind, n)) is not None and \
                    expect(cl, rb, op, msg, "%s: b %s %d" % (label, kind, n)) is not None:
                pass
            else:
                return 1
    ok("%s: echo on both streams, text and binary, sizes %s (over the 65535 "
       "windows both ways), stream b compressed" % (label, sizes))

    # a fragmented message with a ping between its fragments
    cl.send(a, ws_frame(1, b"frag-one ", fin=False) + ws_frame(9, b"pp") +
            ws_frame(0, b"frag-two ", fin=False) + ws_frame(0, b"x" * 70000))
    if expect(cl, ra, 10, b"pp", "%s: pong between fragments" % label) is not None and \
            expect(cl, ra, 1, b"frag-one frag-two " + b"x" * 70000,
                   "%s: fragmented message" % label) is not None:
        ok("%s: fragmented 70 KB message with a ping inside: pong, then the message" %
           label)

    # a bad frame on b (unmasked): b is closed with 1002, a goes on
    cl.send(b, ws_frame(2, b"unmasked", mask=False))
    pl = expect(cl, rb, 8, None, "%s: close after the bad frame" % label)
    if pl is not None and len(pl) >= 2 and struct.unpack("!H", pl[:2])[0] == 1002:
        ok("%s: unmasked frame on stream %d: close 1002" % (label, b))
    else:
        bad("%s: bad frame: close payload %r" % (label, pl))
    cl.send(b, ws_frame(8, struct.pack("!H", 1002)))
    cl.pump(lambda: cl.streams[b].ended or cl.streams[b].reset is not None)
    if cl.streams[b].ended or cl.streams[b].reset is not None:
        ok("%s: stream %d ended (END_STREAM %s, RST_STREAM %r)" %
           (label, b, cl.streams[b].ended, cl.streams[b].reset))
    else:
        bad("%s: stream %d did not end" % (label, b))
    cl.send(a, ws_frame(1, b"still here"))
    if expect(cl, ra, 1, b"still here", "%s: a after b's failure" % label) is not None:
        ok("%s: stream %d still echoes after stream %d failed" % (label, a, b))
    g2 = cl.request([(":method", "GET"), (":scheme", scheme), (":path", "/"),
                     (":authority", "127.0.0.1")])
    cl.pump(lambda: cl.streams[g2].ended)
    if (cl.streams[g2].headers or {}).get(":status") == "200":
        ok("%s: a new GET after it" % label)
    else:
        bad("%s: GET after the failure: %r" % (label, cl.streams[g2].headers))

    # refusals
    u = ws_open(cl, scheme, proto=None, path="/")
    x = cl.request([(":method", "CONNECT"), (":protocol", "no-such-thing"),
                    (":scheme", scheme), (":path", "/"), (":authority", "127.0.0.1")],
                   end=False)
    v = cl.request([(":method", "CONNECT"), (":protocol", "websocket"),
                    (":scheme", scheme), (":path", "/"), (":authority", "127.0.0.1"),
                    ("sec-websocket-version", "12")], end=False)
    np_ = cl.request([(":method", "CONNECT"), (":protocol", "websocket"),
                      (":scheme", scheme), (":authority", "127.0.0.1"),
                      ("sec-websocket-version", "13")], end=False)
    cl.pump(lambda: all((cl.streams[s].headers or cl.streams[s].reset is not None)
                        for s in (u, x, v, np_)))
    hu = cl.streams[u].headers or {}
    if hu.get(":status") == "200" and "sec-websocket-protocol" not in hu:
        ok("%s: no subprotocol asked: 200 without sec-websocket-protocol (default "
           "protocol)" % label)
    else:
        bad("%s: no subprotocol: %r" % (label, hu))
    st = (cl.streams[x].headers or {}).get(":status")
    if st == "501":
        ok("%s: unknown :protocol: 501" % label)
    else:
        bad("%s: unknown :protocol: %r %r" % (label, cl.streams[x].headers,
                                              cl.streams[x].reset))
    hv = cl.streams[v].headers or {}
    if hv.get(":status") == "426" and hv.get("sec-websocket-version") == "13":
        ok("%s: sec-websocket-version 12: 426 with sec-websocket-version 13" % label)
    else:
        bad("%s: version 12: %r %r" % (label, hv, cl.streams[v].reset))
    if cl.streams[np_].reset == 1 and not cl.streams[np_].headers:
        ok("%s: :protocol without :path: RST_STREAM PROTOCOL_ERROR" % label)
    else:
        bad("%s: no :path: %r %r" % (label, cl.streams[np_].headers,
                                      cl.streams[np_].reset))

    # the peer resets a ws stream: the others go on
    cl.h2.reset_stream(u, 8)
    cl.flush()
    cl.send(a, ws_frame(2, b"after reset"))
    if expect(cl, ra, 2, b"after reset", "%s: a after the reset of %d" % (label, u)) \
            is not None:
        ok("%s: RST_STREAM on ws stream %d; stream %d goes on" % (label, u, a))

    # the close handshake on a, then END_STREAM both ways
    cl.send(a, ws_frame(8, struct.pack("!H", 1000) + b"bye"))
    pl = expect(cl, ra, 8, None, "%s: close echo" % label)
    if pl is not None and pl[:2] == struct.pack("!H", 1000):
        ok("%s: close 1000 answered with 1000" % label)
    cl.pump(lambda: cl.streams[a].ended or cl.streams[a].reset is not None)
    if cl.streams[a].ended:
        ok("%s: stream %d: END_STREAM after the close handshake" % (label, a))
    else:
        bad("%s: stream %d: no END_STREAM after the close (reset %r)" %
            (label, a, cl.streams[a].reset))

    # a last ws stream; then GOAWAY: the ws is closed with 1001 (going away), and
    # once its close handshake is over the server ends the connection
    w = ws_open(cl, scheme)
    cl.pump(lambda: cl.streams[w].headers)
    rw = WsReader(cl.streams[w])
    cl.send(w, ws_frame(1, b"last"))
    if expect(cl, rw, 1, b"last", "%s: last stream" % label) is not None:
        ok("%s: a ws stream opened after the others closed" % label)
    # GOAWAY by hand: the h2 library would refuse to send DATA after its own
    cl.sock.sendall(struct.pack(">I", 8)[1:] + struct.pack(">BBI", 7, 0, 0) +
                    struct.pack(">II", 0, 0))
    pl = expect(cl, rw, 8, None, "%s: close after GOAWAY" % label)
    if pl is not None and pl[:2] == struct.pack("!H", 1001):
        ok("%s: GOAWAY from the client: ws stream %d closed with 1001" % (label, w))
    else:
        bad("%s: after GOAWAY: close payload %r" % (label, pl))
    cl.send(w, ws_frame(8, struct.pack("!H", 1001)))
    cl.pump(lambda: cl.closed, 10)
    if cl.streams[w].ended and cl.closed:
        ok("%s: END_STREAM, then the server closed the connection" % label)
    else:
        bad("%s: after the GOAWAY close: ended %s, connection closed %s" %
            (label, cl.streams[w].ended, cl.closed))
    cl.sock.close()
    return 1 if fails else 0


if __name__ == "__main__":
    r = main()
    print("%s" % ("FAILED (%d)" % fails if r else "all passed"))
    sys.exit(r)
