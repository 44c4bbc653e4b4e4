#!/usr/bin/python3
"""h2-conformance.py: checks an h2c (HTTP/2 over cleartext, prior knowledge) server
against RFC 9113 and RFC 7541 with raw frames, case by case, in the sections h2spec
covers: connection preface, frame format and sizes, header compression, stream
states and identifiers, flow control, error codes, SETTINGS, PING, GOAWAY,
CONTINUATION, HTTP message rules and HPACK.  Each case opens its own connection and
expects the right GOAWAY or RST_STREAM code, or the right response.

usage: h2-conformance.py [--host H] [--path /P] [--post-path /P] [--timeout S]
                         [-k SUBSTR] [-v] PORT

--path must name a resource that answers GET with a 2xx and a body of at least 16
bytes (the flow-control cases count its DATA bytes); --post-path one that reads a
POST's whole body before it answers (the cases that need an open stream send POSTs
whose body never ends; default: --path).  Prints one line per case and
"N passed, M failed" (plus "K not applicable" when the server's settings make a case
impossible); exits 0 only when nothing failed.

Needs Debian's python3-hpack and python3-hyperframe (run with /usr/bin/python3).
"""
import argparse
import socket
import struct
import sys
import time

import hpack
from hyperframe.frame import Frame

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# frame types
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, \
    WINDOW_UPDATE, CONTINUATION = range(10)
TYPE_NAMES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
              "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]
# flags
END_STREAM = ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIO = 0x20
# error codes
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, SETTINGS_TIMEOUT, \
    STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR, \
    CONNECT_ERROR, ENHANCE_YOUR_CALM, INADEQUATE_SECURITY, HTTP_1_1_REQUIRED = range(14)
ERR_NAMES = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
             "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM",
             "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
             "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]
# settings
S_HEADER_TABLE_SIZE, S_ENABLE_PUSH, S_MAX_CONCURRENT_STREAMS, \
    S_INITIAL_WINDOW_SIZE, S_MAX_FRAME_SIZE, S_MAX_HEADER_LIST_SIZE = range(1, 7)


def ename(c):
    return ERR_NAMES[c] if 0 <= c < len(ERR_NAMES) else "0x%x" % c


def tname(t):
    return TYPE_NAMES[t] if t < len(TYPE_NAMES) else "type 0x%x" % t


class Fail(Exception):
    pass


class NotApplicable(Exception):
    pass


class Closed(Exception):
    pass


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", ftype, flags,
                                                              sid) + payload


def settings_payload(pairs):
    return b"".join(struct.pack(">HI", k, v) for k, v in pairs)


def hpack_int(value, prefix_bits, first=0):
    """RFC 7541 5.1, for hand-made header blocks"""
    mask = (1 << prefix_bits) - 1
    if value < mask:
        return bytes([first | value])
    out = [first | mask]
    value -= mask
    while value >= 128:
        out.append(0x80 | (value & 0x7f))
        value >>= 7
    out.append(value)
    return bytes(out)


def lit(name, value):
    """literal header field without indexing, new name, raw strings"""
    n, v = name.encode(), value.encode()
    return b"\x00" + hpack_int(len(n), 7) + n + hpack_int(len(v), 7) + v


class Stream:
    def __init__(self):
        self.headers = self.trailers = self.rst = self.error = None
        self.body = b""
        self.sizes = []
        self.done = False


class Conn:
    def __init__(self, args):
        self.args = args
        self.sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.server_settings = {}
        self.auto_window = True
        self.huffman = True
        self.log = []
        self.streams = {}
        self.hblock = b""
        self.hblock_es = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Closed("send: %s" % e)

    def send_frame(self, ftype, flags, sid, payload=b""):
        self.send(frame(ftype, flags, sid, payload))

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except ConnectionResetError:
                raise Closed("connection reset")
            except OSError as e:
                if isinstance(e, socket.timeout):
                    raise
                raise Closed(str(e))
            if not d:
                raise Closed("connection closed")
            self.buf += d

    def read_frame(self, timeout=None):
        """(type, flags, sid, payload, hyperframe object or None); raises Closed
        or socket.timeout"""
        deadline = time.monotonic() + (timeout or self.args.timeout)
        self._fill(9, deadline)
        hdr = self.buf[:9]
        length = int.from_bytes(hdr[:3], "big")
        self._fill(9 + length, deadline)
        payload = self.buf[9:9 + length]
        self.buf = self.buf[9 + length:]
        ftype, flags, sid = hdr[3], hdr[4], int.from_bytes(hdr[5:9], "big") & 0x7fffffff
        self.log.append("%s f=0x%x sid=%d len=%d%s" % (
            tname(ftype), flags, sid, length,
            " " + ename(struct.unpack(">I", payload[-4:] if ftype == RST_STREAM else
                                      payload[4:8])[0])
            if (ftype == RST_STREAM and length == 4) or (ftype == GOAWAY and length >= 8)
            else ""))
        # hyperframe checks what the server sends is well-formed
        f = None
        if ftype < len(TYPE_NAMES):
            try:
                f, _ = Frame.parse_frame_header(memoryview(hdr))
                f.parse_body(memoryview(payload))
            except Exception as e:
                raise Fail("the server sent a malformed %s frame (%s)" % (tname(ftype), e))
        self._track(ftype, flags, sid, payload)
        if ftype == DATA and length and self.auto_window:
            self.send_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", length))
            if not flags & END_STREAM:
                self.send_frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", length))
        if ftype == PING and not flags & ACK:
            self.send_frame(PING, ACK, 0, payload)
        if ftype == SETTINGS and not flags & ACK:
            for i in range(0, len(payload) - 5, 6):
                k, v = struct.unpack(">HI", payload[i:i + 6])
                self.server_settings[k] = v
            self.send_frame(SETTINGS, ACK, 0)
        return ftype, flags, sid, payload, f

    def handshake(self, settings=()):
        """preface and our SETTINGS; waits for the server's SETTINGS"""
        self.send(PREFACE + frame(SETTINGS, 0, 0, settings_payload(settings)))
        deadline = time.monotonic() + self.args.timeout
        first = True
        while True:
            try:
                t, fl, sid, p, _ = self.read_frame(max(0.01, deadline - time.monotonic()))
            except socket.timeout:
                raise Fail("no SETTINGS from the server")
            if first and t != SETTINGS:
                raise Fail("the server's first frame is %s, not SETTINGS" % tname(t))
            first = False
            if t == SETTINGS and not fl & ACK:
                return

    # ---- request helpers ----
    def req_headers(self, method="GET", path=None, extra=()):
        if path is None:
            path = self.args.post_path if method == "POST" else self.args.path
        return [(":method", method), (":scheme", "http"),
                (":path", path),
                (":authority", "%s:%d" % (self.args.host, self.args.port))] + list(extra)

    def block(self, headers):
        return self.enc.encode(headers, huffman=self.huffman)

    def send_headers(self, sid, headers, flags=END_HEADERS | END_STREAM):
        self.send_frame(HEADERS, flags, sid, self.block(headers))

    def get(self, sid, path=None):
        self.send_headers(sid, self.req_headers(path=path))

    def max_frame(self):
        return self.server_settings.get(S_MAX_FRAME_SIZE, 16384)

    # ---- expectations ----
    def _describe(self, t, fl, sid, p):
        if t == GOAWAY and len(p) >= 8:
            return "GOAWAY %s" % ename(struct.unpack(">I", p[4:8])[0])
        if t == RST_STREAM and len(p) == 4:
            return "RST_STREAM %s on stream %d" % (ename(struct.unpack(">I", p)[0]), sid)
        return "%s on stream %d" % (tname(t), sid)

    def expect_conn_error(self, codes, timeout=None):
        """a GOAWAY with one of codes; frames before it are ignored"""
        codes = codes if isinstance(codes, (list, tuple)) else [codes]
        want = " or ".join(ename(c) for c in codes)
        deadline = time.monotonic() + (timeout or self.args.timeout)
        while True:
            try:
                t, fl, sid, p, _ = self.read_frame(max(0.01, deadline - time.monotonic()))
            except socket.timeout:
                raise Fail("no GOAWAY %s within %gs" % (want, timeout or self.args.timeout))
            except Closed as e:
                raise Fail("%s without GOAWAY (wanted %s)" % (e, want))
            if t == GOAWAY:
                if len(p) < 8:
                    raise Fail("short GOAWAY")
                code = struct.unpack(">I", p[4:8])[0]
                if code not in codes:
                    raise Fail("GOAWAY %s, wanted %s" % (ename(code), want))
                return

    def expect_stream_error(self, sid, codes, timeout=None):
        """RST_STREAM on sid, or GOAWAY, with one of codes (RFC 9113 5.4.2 lets an
        endpoint treat a stream error as a connection error)"""
        codes = codes if isinstance(codes, (list, tuple)) else [codes]
        want = " or ".join(ename(c) for c in codes)
        deadline = time.monotonic() + (timeout or self.args.timeout)
        while True:
            try:
                t, fl, s, p, _ = self.read_frame(max(0.01, deadline - time.monotonic()))
            except socket.timeout:
                raise Fail("no RST_STREAM/GOAWAY %s within %gs" %
                           (want, timeout or self.args.timeout))
            except Closed as e:
                raise Fail("%s without RST_STREAM or GOAWAY (wanted %s)" % (e, want))
            if t == GOAWAY and len(p) >= 8:
                code = struct.unpack(">I", p[4:8])[0]
                if code in codes:
                    return
                raise Fail("GOAWAY %s, wanted %s" % (ename(code), want))
            if t == RST_STREAM and s == sid:
                code = struct.unpack(">I", p)[0] if len(p) == 4 else -1
                if code in codes:
                    return
                st = self.streams.get(sid)
                if code == NO_ERROR and st and st.done:
                    raise Fail("the server answered and ended stream %d before the "
                               "case could run (response, then RST_STREAM NO_ERROR): "
                               "--post-path must name a resource that reads the "
                               "request body" % sid)
                raise Fail("RST_STREAM %s, wanted %s" % (ename(code), want))

    def expect_alive(self, what="the connection to stay usable"):
        """sends a PING and waits for its ACK: the frames before were ignored"""
        data = b"h2c-ping"
        self.send_frame(PING, 0, 0, data)
        deadline = time.monotonic() + self.args.timeout
        while True:
            try:
                t, fl, sid, p, _ = self.read_frame(max(0.01, deadline - time.monotonic()))
            except socket.timeout:
                raise Fail("no PING ACK (wanted %s)" % what)
            except Closed as e:
                raise Fail("%s (wanted %s)" % (e, what))
            if t == PING and fl & ACK and p == data:
                return
            # RST_STREAM NO_ERROR after a complete response only stops an upload
            if t == GOAWAY or (t == RST_STREAM and p != b"\0\0\0\0"):
                raise Fail("%s (wanted %s)" % (self._describe(t, fl, sid, p), what))

    def _track(self, t, fl, sid, p):
        """per-stream response state, from every frame read: header blocks are
        decoded in arrival order so our HPACK decoder stays in step"""
        if t in (HEADERS, CONTINUATION):
            st = self.streams.setdefault(sid, Stream())
            if t == HEADERS:
                self.hblock = strip_headers(fl, p)
                self.hblock_es = bool(fl & END_STREAM)
            else:
                self.hblock += p
            if fl & END_HEADERS:
                h = self.dec.decode(self.hblock)
                self.hblock = b""
                if st.headers is None:
                    st.headers = h
                else:
                    st.trailers = h
                if self.hblock_es:
                    st.done = True
        elif t == DATA:
            st = self.streams.setdefault(sid, Stream())
            if st.headers is None:
                st.error = "DATA before HEADERS"
            st.body += strip_pad(fl, p)
            st.sizes.append(len(p))
            if fl & END_STREAM:
                st.done = True
        elif t == RST_STREAM:
            self.streams.setdefault(sid, Stream()).rst = self._describe(t, fl, sid, p)

    def read_response(self, sid, timeout=None):
        """the response on sid: (headers, body, list of DATA frame lengths)"""
        deadline = time.monotonic() + (timeout or self.args.timeout)
        while True:
            st = self.streams.get(sid)
            if st and st.error:
                raise Fail("%s on stream %d" % (st.error, sid))
            if st and st.done:
                return st.headers, st.body, st.sizes
            if st and st.rst:
                raise Fail("%s before the response" % st.rst)
            try:
                t, fl, s, p, _ = self.read_frame(max(0.01, deadline - time.monotonic()))
            except socket.timeout:
                raise Fail("no complete response on stream %d within %gs" %
                           (sid, timeout or self.args.timeout))
            except Closed as e:
                raise Fail("%s before the response on stream %d ended" % (e, sid))
            if t == GOAWAY:
                raise Fail("%s before the response" % self._describe(t, fl, s, p))

    def expect_response(self, sid, timeout=None):
        headers, body, sizes = self.read_response(sid, timeout)
        status = dict(headers).get(":status")
        if not status:
            raise Fail("response without :status")
        return headers, body, sizes

    def expect_data_len(self, sid, n, timeout=1.0):
        """waits for DATA on sid and checks it carries exactly n bytes, then no more
        within 'timeout' seconds (the window allows no more)"""
        deadline = time.monotonic() + (timeout if n == 0 else self.args.timeout)
        got = 0
        while True:
            left = deadline - time.monotonic()
            try:
                t, fl, s, p, _ = self.read_frame(max(0.01, left))
            except socket.timeout:
                if got == n:
                    return
                raise Fail("got %d DATA bytes on stream %d, wanted %d" % (got, sid, n))
            except Closed as e:
                raise Fail("%s waiting for DATA" % e)
            if t == GOAWAY or (t == RST_STREAM and s == sid):
                raise Fail(self._describe(t, fl, s, p))
            if t == DATA and s == sid:
                got += len(p)
                if got > n:
                    raise Fail("got %d DATA bytes on stream %d, the window allows %d" %
                               (got, sid, n))
                if got == n:
                    deadline = min(deadline, time.monotonic() + timeout)


def strip_pad(flags, p):
    if flags & PADDED:
        if not p:
            raise Fail("PADDED frame without a pad length")
        pad = p[0]
        return p[1:len(p) - pad]
    return p


def strip_headers(flags, p):
    p = strip_pad(flags, p)
    if flags & PRIO:
        p = p[5:]
    return p


# ====================================================================== cases

CASES = []


def case(cid, desc):
    def reg(fn):
        CASES.append((cid, desc, fn))
        return fn
    return reg


def open_stream(c, sid):
    """a POST whose body never ends: the stream stays open on the server"""
    c.send_headers(sid, c.req_headers("POST", extra=[("content-length", "100")]),
                   END_HEADERS)


# ---- 3.5 preface
@case("3.5/1", "the server's preface is a SETTINGS frame")
def _(c):
    c.handshake()


@case("3.5/2", "an invalid connection preface: PROTOCOL_ERROR")
def _(c):
    c.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\r" + frame(SETTINGS, 0, 0))
    try:
        c.expect_conn_error(PROTOCOL_ERROR)
    except Fail as e:
        # the server cannot know it is HTTP/2: closing without GOAWAY is allowed
        if "closed" not in str(e) and "reset" not in str(e):
            raise


# ---- 4.1 frame format
@case("4.1/1", "a frame of unknown type is ignored")
def _(c):
    c.handshake()
    c.send_frame(0x16, 0, 0, b"\x00" * 8)
    c.expect_alive()


@case("4.1/2", "undefined flags are ignored")
def _(c):
    c.handshake()
    c.send_frame(PING, 0x16 & ~ACK, 0, b"\x00" * 8)
    c.expect_alive()


@case("4.1/3", "the reserved bit of the stream id is ignored")
def _(c):
    c.handshake()
    c.send(frame(HEADERS, END_HEADERS | END_STREAM, 0x80000001,
                 c.block(c.req_headers())))
    c.expect_response(1)


# ---- 4.2 frame size
@case("4.2/1", "a DATA frame of 2^14 octets is accepted")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers("POST", extra=[("content-length", "16384")]),
                   END_HEADERS)
    c.send_frame(DATA, END_STREAM, 1, b"x" * 16384)
    c.expect_response(1)


@case("4.2/2", "DATA over SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    n = c.max_frame()
    if n > 1 << 20:
        raise NotApplicable("server's MAX_FRAME_SIZE is %d" % n)
    open_stream(c, 1)
    c.send_frame(DATA, END_STREAM, 1, b"x" * (n + 1))
    c.expect_stream_error(1, FRAME_SIZE_ERROR)


@case("4.2/3", "HEADERS over SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR (connection)")
def _(c):
    c.handshake()
    n = c.max_frame()
    if n > 1 << 20:
        raise NotApplicable("server's MAX_FRAME_SIZE is %d" % n)
    blk = c.block(c.req_headers())
    while len(blk) <= n:
        blk += lit("x-dummy", "d" * 1000)
    c.send_frame(HEADERS, END_HEADERS | END_STREAM, 1, blk)
    c.expect_conn_error(FRAME_SIZE_ERROR)


@case("4.2/4", "PING of a wrong length: FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send_frame(PING, 0, 0, b"\x00" * 6)
    c.expect_conn_error(FRAME_SIZE_ERROR)


# ---- 4.3 header compression
@case("4.3/1", "an undecodable header block: COMPRESSION_ERROR")
def _(c):
    c.handshake()
    c.send_frame(HEADERS, END_HEADERS | END_STREAM, 1, b"\x40\x0a")
    c.expect_conn_error(COMPRESSION_ERROR)


@case("4.3/2", "PRIORITY inside a header block: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(HEADERS, END_STREAM, 1, c.block(c.req_headers()))
    c.send_frame(PRIORITY, 0, 1, b"\x00\x00\x00\x00\x10")
    c.expect_conn_error(PROTOCOL_ERROR)


@case("4.3/3", "HEADERS on another stream inside a header block: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(HEADERS, END_STREAM, 1, c.block(c.req_headers()))
    c.send_frame(HEADERS, END_HEADERS | END_STREAM, 3, c.block(c.req_headers()))
    c.expect_conn_error(PROTOCOL_ERROR)


# ---- 5.1 stream states
@case("5.1/1", "idle: DATA: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(DATA, END_STREAM, 1, b"x")
    c.expect_conn_error([PROTOCOL_ERROR, STREAM_CLOSED])


@case("5.1/2", "idle: RST_STREAM: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(RST_STREAM, 0, 1, struct.pack(">I", CANCEL))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("5.1/3", "idle: WINDOW_UPDATE: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 100))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("5.1/4", "idle: CONTINUATION: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(CONTINUATION, END_HEADERS, 1, c.block(c.req_headers()))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("5.1/5", "half-closed (remote): DATA: STREAM_CLOSED")
def _(c):
    c.handshake()
    c.get(1)
    c.send_frame(DATA, END_STREAM, 1, b"x")
    c.expect_stream_error(1, STREAM_CLOSED)


@case("5.1/6", "half-closed (remote): HEADERS: STREAM_CLOSED")
def _(c):
    c.handshake()
    c.get(1)
    c.send_headers(1, [("x-trailer", "1")])
    c.expect_stream_error(1, STREAM_CLOSED)


@case("5.1/7", "half-closed (remote): CONTINUATION: STREAM_CLOSED or PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.get(1)
    c.send_frame(CONTINUATION, END_HEADERS, 1, lit("x-a", "b"))
    c.expect_stream_error(1, [STREAM_CLOSED, PROTOCOL_ERROR])


@case("5.1/8", "closed (we reset it): DATA: STREAM_CLOSED")
def _(c):
    c.handshake()
    open_stream(c, 1)
    c.send_frame(RST_STREAM, 0, 1, struct.pack(">I", CANCEL))
    c.send_frame(DATA, 0, 1, b"x")
    c.expect_stream_error(1, STREAM_CLOSED)


@case("5.1/9", "closed (we reset it): HEADERS: STREAM_CLOSED")
def _(c):
    c.handshake()
    open_stream(c, 1)
    c.send_frame(RST_STREAM, 0, 1, struct.pack(">I", CANCEL))
    c.send_headers(1, [("x-trailer", "1")])
    c.expect_stream_error(1, STREAM_CLOSED)


@case("5.1/10", "closed (we reset it): CONTINUATION: STREAM_CLOSED or PROTOCOL_ERROR")
def _(c):
    c.handshake()
    open_stream(c, 1)
    c.send_frame(RST_STREAM, 0, 1, struct.pack(">I", CANCEL))
    c.send_frame(CONTINUATION, END_HEADERS, 1, lit("x-a", "b"))
    c.expect_stream_error(1, [STREAM_CLOSED, PROTOCOL_ERROR])


@case("5.1/11", "closed (both ended): DATA: STREAM_CLOSED")
def _(c):
    c.handshake()
    c.get(1)
    c.expect_response(1)
    c.send_frame(DATA, END_STREAM, 1, b"x")
    c.expect_stream_error(1, STREAM_CLOSED)


@case("5.1/12", "closed (both ended): HEADERS: STREAM_CLOSED")
def _(c):
    c.handshake()
    c.get(1)
    c.expect_response(1)
    c.send_headers(1, c.req_headers())
    c.expect_stream_error(1, STREAM_CLOSED)


@case("5.1/13", "closed (both ended): CONTINUATION: STREAM_CLOSED or PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.get(1)
    c.expect_response(1)
    c.send_frame(CONTINUATION, END_HEADERS, 1, lit("x-a", "b"))
    c.expect_stream_error(1, [STREAM_CLOSED, PROTOCOL_ERROR])


@case("5.1/14", "closed: PRIORITY is allowed")
def _(c):
    c.handshake()
    c.get(1)
    c.expect_response(1)
    c.send_frame(PRIORITY, 0, 1, b"\x00\x00\x00\x00\x10")
    c.expect_alive()


def reset_by_server(c, sid):
    """a POST whose body is still to come, malformed (an upper-case field name,
    8.2.1) so the server resets the stream at once: PROTOCOL_ERROR"""
    c.send_frame(HEADERS, END_HEADERS, sid,
                 c.block(c.req_headers("POST", extra=[("content-length", "100")])) +
                 lit("X-Upper", "1"))
    c.expect_stream_error(sid, PROTOCOL_ERROR)


def send_dropped_data(c, sid, total):
    """DATA on sid (which the server reset) worth total bytes, within the
    connection window: each WINDOW_UPDATE on stream 0 gives credit back; a
    RST_STREAM or GOAWAY fails, so does a window never given back"""
    win = c.server_settings.get(S_INITIAL_WINDOW_SIZE, 65535)
    credit = max(win, 65535)
    chunk = min(c.max_frame(), 16384)
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        if credit >= n:
            c.send_frame(DATA, 0, sid, b"d" * n)
            credit -= n
            sent += n
            continue
        try:
            t, fl, s, p, _ = c.read_frame()
        except socket.timeout:
            raise Fail("the connection window was not given back after %d bytes of "
                       "DATA on reset stream %d" % (sent, sid))
        except Closed as e:
            raise Fail("%s during DATA on reset stream %d" % (e, sid))
        if t == GOAWAY or (t == RST_STREAM and s == sid):
            raise Fail("%s: DATA on a stream the server reset must be dropped "
                       "quietly (5.1)" % c._describe(t, fl, s, p))
        if t == WINDOW_UPDATE and s == 0 and len(p) == 4:
            credit += struct.unpack(">I", p)[0] & 0x7fffffff


@case("5.1/15", "closed (the server reset it): DATA in flight is dropped, "
      "the connection window still given back")
def _(c):
    c.handshake()
    reset_by_server(c, 1)
    # twice the connection window: it must be replenished by the dropped DATA
    send_dropped_data(c, 1, 2 * max(c.server_settings.get(S_INITIAL_WINDOW_SIZE,
                                                          65535), 65535) + 1)
    c.expect_alive("DATA on a stream the server reset to be ignored")
    c.get(3)
    c.expect_response(3)


@case("5.1/16", "closed (the server reset it): trailers in flight are decoded "
      "and dropped")
def _(c):
    c.handshake()
    reset_by_server(c, 1)
    c.send_frame(DATA, 0, 1, b"x" * 10)
    # indexed into the dynamic table: the next request needs the server in step
    c.send_headers(1, [("x-trailer", "a-value-to-index")])
    c.expect_alive("trailers on a stream the server reset to be ignored")
    c.get(3)
    c.send_headers(5, c.req_headers(extra=[("x-trailer", "a-value-to-index")]))
    c.expect_response(3)
    c.expect_response(5)


@case("5.1/17", "closed long ago (the server reset it, then --reset-memory "
      "more): DATA: STREAM_CLOSED")
def _(c):
    n = c.args.reset_memory
    if not n:
        raise NotApplicable("needs --reset-memory N, the server's own bound")
    c.handshake()
    for k in range(n + 1):
        reset_by_server(c, 1 + 2 * k)
    # stream 3 is still remembered (the edge), stream 1 has fallen out
    c.send_frame(DATA, 0, 3, b"x")
    c.expect_alive("DATA on the last remembered reset stream to be ignored")
    c.send_frame(DATA, 0, 1, b"x")
    c.expect_stream_error(1, STREAM_CLOSED)


# ---- 5.1.1 stream identifiers
@case("5.1.1/1", "an even stream id from the client: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.get(2)
    c.expect_conn_error(PROTOCOL_ERROR)


@case("5.1.1/2", "a stream id lower than one used before: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.get(5)
    c.get(3)
    c.expect_conn_error([PROTOCOL_ERROR, STREAM_CLOSED])


# ---- 5.1.2 concurrency
@case("5.1.2/1", "over SETTINGS_MAX_CONCURRENT_STREAMS: PROTOCOL_ERROR or REFUSED_STREAM")
def _(c):
    c.handshake()
    m = c.server_settings.get(S_MAX_CONCURRENT_STREAMS)
    if m is None or m > 1000:
        raise NotApplicable("server sets MAX_CONCURRENT_STREAMS %s" % m)
    for i in range(m):
        open_stream(c, 1 + 2 * i)
    sid = 1 + 2 * m
    c.get(sid)
    c.expect_stream_error(sid, [PROTOCOL_ERROR, REFUSED_STREAM])


# ---- 5.3.1 dependencies
@case("5.3.1/1", "HEADERS depending on its own stream: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(HEADERS, END_HEADERS | END_STREAM | PRIO, 1,
                 struct.pack(">IB", 1, 15) + c.block(c.req_headers()))
    c.expect_stream_error(1, PROTOCOL_ERROR)


@case("5.3.1/2", "PRIORITY depending on its own stream: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(PRIORITY, 0, 1, struct.pack(">IB", 1, 15))
    c.expect_stream_error(1, PROTOCOL_ERROR)


# ---- 5.4 error handling
@case("5.4.1/1", "after a connection error the server sends GOAWAY and closes")
def _(c):
    c.handshake()
    c.send_frame(PING, 0, 1, b"\x00" * 8)
    c.expect_conn_error(PROTOCOL_ERROR)
    deadline = time.monotonic() + c.args.timeout
    while True:
        try:
            c.read_frame(max(0.01, deadline - time.monotonic()))
        except Closed:
            return
        except socket.timeout:
            raise Fail("the connection stayed open after GOAWAY")


@case("5.4.1/2", "GOAWAY's last stream id is the last stream processed")
def _(c):
    c.handshake()
    c.get(1)
    c.expect_response(1)
    c.send_frame(PING, 0, 1, b"\x00" * 8)
    deadline = time.monotonic() + c.args.timeout
    while True:
        try:
            t, fl, s, p, _ = c.read_frame(max(0.01, deadline - time.monotonic()))
        except (socket.timeout, Closed) as e:
            raise Fail("no GOAWAY (%s)" % e)
        if t == GOAWAY:
            last = struct.unpack(">I", p[:4])[0] & 0x7fffffff
            if last != 1:
                raise Fail("GOAWAY last stream id %d, wanted 1" % last)
            return


# ---- 5.5 extensions
@case("5.5/1", "an unknown extension frame is ignored")
def _(c):
    c.handshake()
    c.send_frame(0xff, 0xff, 0, b"extension")
    c.send_frame(0x20, 0, 1, b"on a stream")
    c.expect_alive()


@case("5.5/2", "an unknown frame inside a header block: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(HEADERS, END_STREAM, 1, c.block(c.req_headers()))
    c.send_frame(0x16, 0, 1, b"ext")
    c.expect_conn_error(PROTOCOL_ERROR)


# ---- 6.1 DATA
@case("6.1/1", "DATA on stream 0: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(DATA, END_STREAM, 0, b"x")
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.1/2", "DATA on a half-closed (remote) stream: STREAM_CLOSED")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers("POST", extra=[("content-length", "1")]),
                   END_HEADERS)
    c.send_frame(DATA, END_STREAM, 1, b"x")
    c.send_frame(DATA, END_STREAM, 1, b"y")
    c.expect_stream_error(1, STREAM_CLOSED)


@case("6.1/3", "DATA with a pad length beyond the payload: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    open_stream(c, 1)
    c.send_frame(DATA, PADDED | END_STREAM, 1, b"\x06xxxx")
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.1/4", "padded DATA is accepted")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers("POST", extra=[("content-length", "4")]),
                   END_HEADERS)
    c.send_frame(DATA, PADDED, 1, b"\x03ab\x00\x00\x00")
    c.send_frame(DATA, PADDED | END_STREAM, 1, b"\x00cd")
    c.expect_response(1)


# ---- 6.2 HEADERS
@case("6.2/1", "HEADERS without END_HEADERS then PRIORITY: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(HEADERS, END_STREAM, 1, c.block(c.req_headers()))
    c.send_frame(PRIORITY, 0, 3, b"\x00\x00\x00\x00\x10")
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.2/2", "HEADERS without END_HEADERS then DATA: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(HEADERS, 0, 1, c.block(c.req_headers("POST")))
    c.send_frame(DATA, END_STREAM, 1, b"x")
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.2/3", "HEADERS on stream 0: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(HEADERS, END_HEADERS | END_STREAM, 0, c.block(c.req_headers()))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.2/4", "HEADERS with a pad length beyond the payload: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    blk = c.block(c.req_headers())
    c.send_frame(HEADERS, END_HEADERS | END_STREAM | PADDED, 1,
                 bytes([len(blk) + 1]) + blk)
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.2/5", "padded HEADERS with priority is accepted")
def _(c):
    c.handshake()
    blk = c.block(c.req_headers())
    c.send_frame(HEADERS, END_HEADERS | END_STREAM | PADDED | PRIO, 1,
                 b"\x04" + struct.pack(">IB", 0, 200) + blk + b"\x00" * 4)
    c.expect_response(1)


# ---- 6.3 PRIORITY
@case("6.3/1", "PRIORITY on stream 0: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(PRIORITY, 0, 0, struct.pack(">IB", 1, 15))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.3/2", "PRIORITY of length 4: FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send_frame(PRIORITY, 0, 1, struct.pack(">I", 3))
    c.expect_stream_error(1, FRAME_SIZE_ERROR)


@case("6.3/3", "PRIORITY on an idle stream is allowed")
def _(c):
    c.handshake()
    c.send_frame(PRIORITY, 0, 9, struct.pack(">IB", 0, 15))
    c.get(1)
    c.expect_response(1)


# ---- 6.4 RST_STREAM
@case("6.4/1", "RST_STREAM on stream 0: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(RST_STREAM, 0, 0, struct.pack(">I", CANCEL))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.4/2", "RST_STREAM on an idle stream: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(RST_STREAM, 0, 3, struct.pack(">I", CANCEL))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.4/3", "RST_STREAM of length 3: FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    open_stream(c, 1)
    c.send_frame(RST_STREAM, 0, 1, b"\x00\x00\x08")
    c.expect_conn_error(FRAME_SIZE_ERROR)


# ---- 6.5 SETTINGS
@case("6.5/1", "SETTINGS ACK with a payload: FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send_frame(SETTINGS, ACK, 0, settings_payload([(S_ENABLE_PUSH, 0)]))
    c.expect_conn_error(FRAME_SIZE_ERROR)


@case("6.5/2", "SETTINGS on a stream: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(SETTINGS, 0, 1, settings_payload([(S_ENABLE_PUSH, 0)]))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.5/3", "SETTINGS of a length not a multiple of 6: FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send_frame(SETTINGS, 0, 0, b"\x00\x02\x00\x00\x00")
    c.expect_conn_error(FRAME_SIZE_ERROR)


@case("6.5/4", "SETTINGS is acknowledged")
def _(c):
    c.send(PREFACE + frame(SETTINGS, 0, 0, settings_payload([(S_ENABLE_PUSH, 0)])))
    deadline = time.monotonic() + c.args.timeout
    while True:
        try:
            t, fl, s, p, _ = c.read_frame(max(0.01, deadline - time.monotonic()))
        except (socket.timeout, Closed) as e:
            raise Fail("no SETTINGS ACK (%s)" % e)
        if t == SETTINGS and fl & ACK:
            if p:
                raise Fail("SETTINGS ACK with a payload")
            return


@case("6.5.2/1", "SETTINGS_ENABLE_PUSH 2: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(SETTINGS, 0, 0, settings_payload([(S_ENABLE_PUSH, 2)]))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.5.2/2", "SETTINGS_INITIAL_WINDOW_SIZE 2^31: FLOW_CONTROL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(SETTINGS, 0, 0, settings_payload([(S_INITIAL_WINDOW_SIZE, 1 << 31)]))
    c.expect_conn_error(FLOW_CONTROL_ERROR)


@case("6.5.2/3", "SETTINGS_MAX_FRAME_SIZE 16383: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(SETTINGS, 0, 0, settings_payload([(S_MAX_FRAME_SIZE, 16383)]))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.5.2/4", "SETTINGS_MAX_FRAME_SIZE 2^24: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(SETTINGS, 0, 0, settings_payload([(S_MAX_FRAME_SIZE, 1 << 24)]))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.5.2/5", "an unknown setting is ignored")
def _(c):
    c.handshake()
    c.send_frame(SETTINGS, 0, 0, settings_payload([(0xff, 1), (0x4242, 0xffffffff)]))
    c.expect_alive()


@case("6.5.3/1", "the last of repeated values in one SETTINGS counts")
def _(c):
    c.handshake([(S_INITIAL_WINDOW_SIZE, 100), (S_INITIAL_WINDOW_SIZE, 1)])
    c.auto_window = False
    c.get(1)
    c.expect_data_len(1, 1)


@case("6.5.3/2", "SETTINGS is answered by SETTINGS with ACK")
def _(c):
    c.handshake()
    c.send_frame(SETTINGS, 0, 0, settings_payload([(S_MAX_HEADER_LIST_SIZE, 65536)]))
    deadline = time.monotonic() + c.args.timeout
    acks = 0
    while acks < 2:	# the handshake's and this one's
        try:
            t, fl, s, p, _ = c.read_frame(max(0.01, deadline - time.monotonic()))
        except (socket.timeout, Closed) as e:
            raise Fail("%d SETTINGS ACKs, wanted 2 (%s)" % (acks, e))
        if t == SETTINGS and fl & ACK:
            acks += 1


# ---- 6.7 PING
@case("6.7/1", "PING is answered with an ACK carrying the same data")
def _(c):
    c.handshake()
    c.expect_alive()


@case("6.7/2", "a PING with ACK is not answered")
def _(c):
    c.handshake()
    c.send_frame(PING, ACK, 0, b"unsolici")
    data = b"solicitd"
    c.send_frame(PING, 0, 0, data)
    deadline = time.monotonic() + c.args.timeout
    while True:
        try:
            t, fl, s, p, _ = c.read_frame(max(0.01, deadline - time.monotonic()))
        except (socket.timeout, Closed) as e:
            raise Fail("no PING ACK (%s)" % e)
        if t == PING and fl & ACK:
            if p != data:
                raise Fail("the server answered the PING ACK")
            return
        if t == GOAWAY:
            raise Fail(c._describe(t, fl, s, p))


@case("6.7/3", "PING on a stream: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(PING, 0, 1, b"\x00" * 8)
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.7/4", "PING of length 9: FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send_frame(PING, 0, 0, b"\x00" * 9)
    c.expect_conn_error(FRAME_SIZE_ERROR)


# ---- 6.8 GOAWAY
@case("6.8/1", "GOAWAY on a stream: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(GOAWAY, 0, 1, struct.pack(">II", 0, NO_ERROR))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.8/2", "GOAWAY of length 7: FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send_frame(GOAWAY, 0, 0, b"\x00" * 7)
    c.expect_conn_error(FRAME_SIZE_ERROR)


# ---- 6.9 WINDOW_UPDATE
@case("6.9/1", "WINDOW_UPDATE of 0 on the connection: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.9/2", "WINDOW_UPDATE of 0 on a stream: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    open_stream(c, 1)
    c.send_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 0))
    c.expect_stream_error(1, PROTOCOL_ERROR)


@case("6.9/3", "WINDOW_UPDATE of length 3: FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send_frame(WINDOW_UPDATE, 0, 0, b"\x00\x00\x01")
    c.expect_conn_error(FRAME_SIZE_ERROR)


@case("6.9.1/1", "SETTINGS_INITIAL_WINDOW_SIZE 1: DATA of 1 byte")
def _(c):
    c.handshake([(S_INITIAL_WINDOW_SIZE, 1)])
    c.auto_window = False
    c.get(1)
    c.expect_data_len(1, 1)


@case("6.9.1/2", "the connection window over 2^31-1: FLOW_CONTROL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0x7fffffff))
    c.expect_conn_error(FLOW_CONTROL_ERROR)


@case("6.9.1/3", "a stream window over 2^31-1: FLOW_CONTROL_ERROR")
def _(c):
    c.handshake()
    open_stream(c, 1)
    c.send_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 0x7fffffff))
    c.expect_stream_error(1, FLOW_CONTROL_ERROR)


@case("6.9.1/4", "the server stops at the connection window")
def _(c):
    c.handshake([(S_INITIAL_WINDOW_SIZE, 0x7fffffff)])
    c.auto_window = False
    # 65535 bytes of connection window: a body of 16 bytes fits, so ask for the
    # resource many times and count: the total must stop at 65535
    for i in range(20):
        c.get(1 + 2 * i)
    got, deadline = 0, time.monotonic() + c.args.timeout
    while True:
        try:
            t, fl, s, p, _ = c.read_frame(max(0.01, deadline - time.monotonic()))
        except socket.timeout:
            break
        except Closed as e:
            raise Fail(str(e))
        if t == DATA:
            got += len(p)
            deadline = min(deadline, time.monotonic() + 1.0)
        if t == GOAWAY:
            raise Fail(c._describe(t, fl, s, p))
    if got > 65535:
        raise Fail("%d DATA bytes, over the 65535 connection window" % got)


@case("6.9.2/1", "a new SETTINGS_INITIAL_WINDOW_SIZE applies to open streams")
def _(c):
    c.handshake([(S_INITIAL_WINDOW_SIZE, 0)])
    c.auto_window = False
    c.get(1)
    # the response headers come, DATA cannot
    c.expect_data_len(1, 0, timeout=0.5)
    c.send_frame(SETTINGS, 0, 0, settings_payload([(S_INITIAL_WINDOW_SIZE, 1)]))
    c.expect_data_len(1, 1)


@case("6.9.2/2", "a window made negative by SETTINGS is honoured")
def _(c):
    c.handshake([(S_INITIAL_WINDOW_SIZE, 3)])
    c.auto_window = False
    c.get(1)
    c.expect_data_len(1, 3)
    # window 3 - 3 = 0; 0 + (1 - 3) = -2; +3 = 1
    c.send_frame(SETTINGS, 0, 0, settings_payload([(S_INITIAL_WINDOW_SIZE, 1)]))
    c.send_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 3))
    c.expect_data_len(1, 1)


@case("6.9.2/3", "SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1: FLOW_CONTROL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(SETTINGS, 0, 0, settings_payload([(S_INITIAL_WINDOW_SIZE, 0x80000000)]))
    c.expect_conn_error(FLOW_CONTROL_ERROR)


@case("6.9.2/4", "SETTINGS pushing an open stream's window over 2^31-1: FLOW_CONTROL_ERROR")
def _(c):
    c.handshake()
    open_stream(c, 1)
    c.send_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 0x7fffffff - 65535))
    c.send_frame(SETTINGS, 0, 0, settings_payload([(S_INITIAL_WINDOW_SIZE, 65536)]))
    c.expect_conn_error(FLOW_CONTROL_ERROR)


# ---- 6.10 CONTINUATION
@case("6.10/1", "a header block in HEADERS and several CONTINUATION frames")
def _(c):
    c.handshake()
    blk = c.block(c.req_headers(extra=[("x-a", "1"), ("x-b", "2")]))
    # three CONTINUATIONs: servers bound how many they take (CONTINUATION floods)
    q = len(blk) // 4
    c.send_frame(HEADERS, END_STREAM, 1, blk[:q])
    c.send_frame(CONTINUATION, 0, 1, blk[q:2 * q])
    c.send_frame(CONTINUATION, 0, 1, blk[2 * q:3 * q])
    c.send_frame(CONTINUATION, END_HEADERS, 1, blk[3 * q:])
    c.expect_response(1)


@case("6.10/2", "CONTINUATION followed by another frame: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    blk = c.block(c.req_headers())
    c.send_frame(HEADERS, END_STREAM, 1, blk[:2])
    c.send_frame(CONTINUATION, 0, 1, blk[2:])
    c.send_frame(DATA, 0, 1, b"x")
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.10/3", "CONTINUATION on stream 0: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    blk = c.block(c.req_headers())
    c.send_frame(HEADERS, END_STREAM, 1, blk[:2])
    c.send_frame(CONTINUATION, END_HEADERS, 0, blk[2:])
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.10/4", "CONTINUATION after HEADERS with END_HEADERS: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(HEADERS, END_HEADERS, 1, c.block(c.req_headers("POST")))
    c.send_frame(CONTINUATION, END_HEADERS, 1, lit("x-a", "b"))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.10/5", "CONTINUATION after CONTINUATION with END_HEADERS: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    blk = c.block(c.req_headers("POST"))
    c.send_frame(HEADERS, 0, 1, blk[:2])
    c.send_frame(CONTINUATION, END_HEADERS, 1, blk[2:])
    c.send_frame(CONTINUATION, END_HEADERS, 1, lit("x-a", "b"))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.10/6", "CONTINUATION after DATA: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    open_stream(c, 1)
    c.send_frame(DATA, 0, 1, b"x")
    c.send_frame(CONTINUATION, END_HEADERS, 1, lit("x-a", "b"))
    c.expect_conn_error(PROTOCOL_ERROR)


@case("6.10/7", "CONTINUATION on another stream inside a header block: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    blk = c.block(c.req_headers())
    c.send_frame(HEADERS, END_STREAM, 1, blk[:2])
    c.send_frame(CONTINUATION, END_HEADERS, 3, blk[2:])
    c.expect_conn_error(PROTOCOL_ERROR)


# ---- 7 error codes
@case("7/1", "GOAWAY with an unknown error code is accepted")
def _(c):
    c.handshake()
    c.send_frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0xff))
    # the server may close after a GOAWAY; it must not call it an error
    deadline = time.monotonic() + 1.0
    while True:
        try:
            t, fl, s, p, _ = c.read_frame(max(0.01, deadline - time.monotonic()))
        except (socket.timeout, Closed):
            return
        if t == GOAWAY and struct.unpack(">I", p[4:8])[0] != NO_ERROR:
            raise Fail(c._describe(t, fl, s, p))


@case("7/2", "RST_STREAM with an unknown error code is accepted")
def _(c):
    c.handshake()
    open_stream(c, 1)
    c.send_frame(RST_STREAM, 0, 1, struct.pack(">I", 0xff))
    c.expect_alive()


# ---- 8.1 HTTP message exchange
@case("8.1/1", "a second HEADERS without END_STREAM: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers("POST"), END_HEADERS)
    c.send_frame(DATA, 0, 1, b"x")
    c.send_headers(1, [("x-trailer", "1")], END_HEADERS)
    c.expect_stream_error(1, PROTOCOL_ERROR)


@case("8.1/2", "a request with trailers gets its response")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers("POST"), END_HEADERS)
    c.send_frame(DATA, 0, 1, b"body")
    c.send_headers(1, [("x-trailer", "1")], END_HEADERS | END_STREAM)
    c.expect_response(1)


def bad_request(c, headers, codes=PROTOCOL_ERROR, flags=END_HEADERS | END_STREAM):
    c.handshake()
    c.send_frame(HEADERS, flags, 1, c.enc.encode(headers))
    c.expect_stream_error(1, codes)


@case("8.2.1/1", "an uppercase header name: PROTOCOL_ERROR")
def _(c):
    bad_request(c, c.req_headers(extra=[("X-Upper", "1")]))


@case("8.2.1/2", "a header name with a space: PROTOCOL_ERROR")
def _(c):
    bad_request(c, c.req_headers(extra=[("x bad", "1")]))


@case("8.2.1/3", "a header value with a NUL: PROTOCOL_ERROR")
def _(c):
    bad_request(c, c.req_headers(extra=[("x-bad", "a\x00b")]))


@case("8.2.1/4", "a header value with a bare LF: PROTOCOL_ERROR")
def _(c):
    bad_request(c, c.req_headers(extra=[("x-bad", "a\nb")]))


@case("8.3/1", "an unknown pseudo-header: PROTOCOL_ERROR")
def _(c):
    bad_request(c, c.req_headers(extra=[(":unknown", "1")]))


@case("8.3/2", "a response pseudo-header in a request: PROTOCOL_ERROR")
def _(c):
    bad_request(c, c.req_headers(extra=[(":status", "200")]))


@case("8.3/3", "a pseudo-header in trailers: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers("POST"), END_HEADERS)
    c.send_frame(DATA, 0, 1, b"x")
    c.send_headers(1, [(":method", "GET")], END_HEADERS | END_STREAM)
    c.expect_stream_error(1, PROTOCOL_ERROR)


@case("8.3/4", "a pseudo-header after a regular header: PROTOCOL_ERROR")
def _(c):
    h = c.req_headers()
    bad_request(c, h[:2] + [("x-a", "1")] + h[2:])


@case("8.2.2/1", "a connection-specific header: PROTOCOL_ERROR")
def _(c):
    bad_request(c, c.req_headers(extra=[("connection", "keep-alive")]))


@case("8.2.2/2", "TE other than trailers: PROTOCOL_ERROR")
def _(c):
    bad_request(c, c.req_headers(extra=[("te", "gzip")]))


@case("8.2.2/3", "TE: trailers is accepted")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers(extra=[("te", "trailers")]))
    c.expect_response(1)


@case("8.3.1/1", "an empty :path: PROTOCOL_ERROR")
def _(c):
    bad_request(c, [(":method", "GET"), (":scheme", "http"), (":path", ""),
                    (":authority", "localhost")])


@case("8.3.1/2", "no :method: PROTOCOL_ERROR")
def _(c):
    bad_request(c, [(":scheme", "http"), (":path", "/"), (":authority", "localhost")])


@case("8.3.1/3", "no :scheme: PROTOCOL_ERROR")
def _(c):
    bad_request(c, [(":method", "GET"), (":path", "/"), (":authority", "localhost")])


@case("8.3.1/4", "no :path: PROTOCOL_ERROR")
def _(c):
    bad_request(c, [(":method", "GET"), (":scheme", "http"), (":authority", "localhost")])


@case("8.3.1/5", "two :method: PROTOCOL_ERROR")
def _(c):
    bad_request(c, c.req_headers()[:1] + c.req_headers())


@case("8.3.1/6", "two :scheme: PROTOCOL_ERROR")
def _(c):
    h = c.req_headers()
    bad_request(c, h[:2] + [(":scheme", "https")] + h[2:])


@case("8.3.1/7", "two :path: PROTOCOL_ERROR")
def _(c):
    h = c.req_headers()
    bad_request(c, h[:3] + [(":path", "/other")] + h[3:])


@case("8.1.1/1", "content-length above the DATA received: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers("POST", extra=[("content-length", "5")]),
                   END_HEADERS)
    c.send_frame(DATA, END_STREAM, 1, b"abc")
    c.expect_stream_error(1, PROTOCOL_ERROR)


@case("8.1.1/2", "content-length below the DATA of several frames: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers("POST", extra=[("content-length", "5")]),
                   END_HEADERS)
    c.send_frame(DATA, 0, 1, b"abc")
    c.send_frame(DATA, END_STREAM, 1, b"def")
    c.expect_stream_error(1, PROTOCOL_ERROR)


@case("8.4/1", "a client's PUSH_PROMISE: PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send_frame(PUSH_PROMISE, END_HEADERS, 1,
                 struct.pack(">I", 2) + c.block(c.req_headers()))
    c.expect_conn_error(PROTOCOL_ERROR)


# ---- HPACK (RFC 7541)
def hpack_bad(c, tail, head=True):
    c.handshake()
    blk = c.block(c.req_headers())
    c.send_frame(HEADERS, END_HEADERS | END_STREAM, 1, blk + tail if head else tail + blk)
    c.expect_conn_error(COMPRESSION_ERROR)


@case("hpack/2.3.3/1", "an indexed field past both tables: COMPRESSION_ERROR")
def _(c):
    hpack_bad(c, b"\xff\x7f")


@case("hpack/2.3.3/2", "a literal with a name index past both tables: COMPRESSION_ERROR")
def _(c):
    hpack_bad(c, b"\x7f\x7f\x01a")


@case("hpack/4.2/1", "a table size update above the server's limit: COMPRESSION_ERROR")
def _(c):
    c.handshake()
    lim = c.server_settings.get(S_HEADER_TABLE_SIZE, 4096)
    c.send_frame(HEADERS, END_HEADERS | END_STREAM, 1,
                 hpack_int(lim + 1, 5, 0x20) + c.block(c.req_headers()))
    c.expect_conn_error(COMPRESSION_ERROR)


@case("hpack/4.2/2", "a table size update at the start is accepted")
def _(c):
    c.handshake()
    c.send_frame(HEADERS, END_HEADERS | END_STREAM, 1,
                 b"\x20" + hpack_int(4096, 5, 0x20) + c.block(c.req_headers()))
    c.expect_response(1)


@case("hpack/5.1/1", "an integer over 2^32: COMPRESSION_ERROR")
def _(c):
    hpack_bad(c, b"\x0f\xff\xff\xff\xff\xff\x0f")


@case("hpack/5.2/1", "a Huffman string containing EOS: COMPRESSION_ERROR")
def _(c):
    hpack_bad(c, b"\x00\x03x-h\x84\xff\xff\xff\xff")


@case("hpack/5.2/2", "Huffman padding longer than 7 bits: COMPRESSION_ERROR")
def _(c):
    hpack_bad(c, b"\x00\x03x-h\x82\x1f\xff")


@case("hpack/5.2/3", "Huffman padding not the EOS prefix: COMPRESSION_ERROR")
def _(c):
    hpack_bad(c, b"\x00\x03x-h\x81\x18")


@case("hpack/5.2/4", "a string longer than the block: COMPRESSION_ERROR")
def _(c):
    hpack_bad(c, b"\x00\x03x-h\x05b")


@case("hpack/6.1/1", "index 0: COMPRESSION_ERROR")
def _(c):
    hpack_bad(c, b"\x80")


@case("hpack/6.3/1", "a table size update after a field: COMPRESSION_ERROR")
def _(c):
    hpack_bad(c, b"\x20")


@case("hpack/7/1", "the dynamic table across requests, Huffman and raw strings")
def _(c):
    c.handshake()
    for i in range(4):
        sid = 1 + 2 * i
        c.huffman = bool(i & 1)
        c.send_headers(sid, c.req_headers(extra=[("x-same", "value"),
                                                 ("x-count", str(i)),
                                                 ("user-agent", "h2-conformance")]))
        c.expect_response(sid)


@case("hpack/7/2", "fields evicting each other in a small table")
def _(c):
    c.handshake()
    # our encoder shrinks its table to 64 bytes: every new entry evicts the last
    c.enc.header_table_size = 64
    for i in range(4):
        sid = 1 + 2 * i
        c.send_headers(sid, c.req_headers(extra=[("x-e%d" % i, "v" * 20)]))
        c.expect_response(sid)


# ---- generic: requests the server must serve
@case("generic/1", "GET")
def _(c):
    c.handshake()
    c.get(1)
    h, body, sizes = c.expect_response(1)
    if not dict(h).get(":status", "").startswith("2"):
        raise Fail("status %s for %s" % (dict(h).get(":status"), c.args.path))
    if len(body) < 16:
        raise Fail("body of %d bytes; --path needs one of 16 or more" % len(body))


@case("generic/2", "HEAD has no body")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers("HEAD"))
    h, body, sizes = c.expect_response(1)
    if body:
        raise Fail("HEAD response with %d body bytes" % len(body))


@case("generic/3", "POST with a body in several DATA frames")
def _(c):
    c.handshake()
    c.send_headers(1, c.req_headers("POST", extra=[("content-length", "30000")]),
                   END_HEADERS)
    for i in range(3):
        c.send_frame(DATA, END_STREAM if i == 2 else 0, 1, b"p" * 10000)
    c.expect_response(1)


@case("generic/4", "20 concurrent requests on one connection")
def _(c):
    c.handshake()
    m = c.server_settings.get(S_MAX_CONCURRENT_STREAMS, 100)
    n = min(20, m)
    for i in range(n):
        c.get(1 + 2 * i)
    for i in range(n):
        c.expect_response(1 + 2 * i)


@case("generic/5", "the server's DATA frames respect our SETTINGS_MAX_FRAME_SIZE")
def _(c):
    c.handshake()
    c.get(1)
    h, body, sizes = c.expect_response(1)
    if sizes and max(sizes) > 16384:
        raise Fail("a DATA frame of %d bytes" % max(sizes))


@case("generic/6", "a response after the request's stream was given a bigger window")
def _(c):
    c.handshake()
    c.send_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20))
    c.get(1)
    c.send_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 1 << 20))
    c.expect_response(1)


# ====================================================================== main

def main():
    ap = argparse.ArgumentParser(description="HTTP/2 (h2c) conformance cases")
    ap.add_argument("port", type=int)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--path", default="/")
    ap.add_argument("--post-path", default=None,
                    help="a resource that reads a POST body before answering "
                         "(default: --path)")
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--reset-memory", type=int, default=0,
                    help="how many streams it reset the server remembers (RFC 9113 "
                    "5.1 grace); enables the case at that bound")
    ap.add_argument("-k", dest="filter", default=None,
                    help="run only cases whose id or text contains this")
    ap.add_argument("-v", action="store_true", help="print the frames of failed cases")
    args = ap.parse_args()
    if args.post_path is None:
        args.post_path = args.path

    passed, failed, na = 0, [], 0
    for cid, desc, fn in CASES:
        if args.filter and args.filter not in cid and args.filter not in desc:
            continue
        try:
            c = Conn(args)
        except OSError as e:
            print("FAIL %-14s %s: connect: %s" % (cid, desc, e))
            failed.append(cid)
            if not passed:
                print("cannot reach %s:%d; stopping" % (args.host, args.port))
                break
            continue
        try:
            fn(c)
            print("ok   %-14s %s" % (cid, desc))
            passed += 1
        except NotApplicable as e:
            print("n/a  %-14s %s: %s" % (cid, desc, e))
            na += 1
        except (Fail, Closed) as e:
            print("FAIL %-14s %s: %s" % (cid, desc, e))
            if args.v:
                print("       frames received: " + "; ".join(c.log[-30:]))
            failed.append(cid)
        except Exception as e:	# a bug in a case or a frame we cannot parse
            print("FAIL %-14s %s: %s: %s" % (cid, desc, type(e).__name__, e))
            failed.append(cid)
        finally:
            c.close()
    tail = ", %d not applicable" % na if na else ""
    print("%d passed, %d failed%s" % (passed, len(failed), tail))
    if failed:
        print("failed: " + " ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
