#!/usr/bin/python3
# ws_against_server.py PORT: Autobahn-style cases by hand against a Loom WebSocket
# echo server (minimal-ws-server-echo, message limit 1 MiB), with python3-websockets
# for the well-behaved side and a raw socket for what no library would send.
# Prints one line per case and exits 0 only when every case passed.
import asyncio, os, socket, struct, sys, zlib
import websockets

PORT = int(sys.argv[1])
URL = "ws://127.0.0.1:%d/" % PORT
LIMIT = 1 << 20
failed = []


def case(name, ok, detail=""):
    print("%-48s %s %s" % (name, "ok" if ok else "FAIL", detail), flush=True)
    if not ok:
        failed.append(name)


# ---- raw socket helpers ----

def handshake(extra=b"", version=b"13", key=b"dGhlIHNhbXBsZSBub25jZQ=="):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    req = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\n")
    if key:
        req += b"Sec-WebSocket-Key: " + key + b"\r\n"
    if version:
        req += b"Sec-WebSocket-Version: " + version + b"\r\n"
    s.sendall(req + extra + b"\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(4096)
        if not d:
            break
        head += d
    h, _, rest = head.partition(b"\r\n\r\n")
    return s, h.decode("latin1"), rest


def frame(op, payload, fin=True, mask=True, rsv=0, length=None):
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    n = len(payload) if length is None else length
    mbit = 0x80 if mask else 0
    if n < 126:
        h = bytes([b0, mbit | n])
    elif n < 65536:
        h = bytes([b0, mbit | 126]) + struct.pack(">H", n)
    else:
        h = bytes([b0, mbit | 127]) + struct.pack(">Q", n)
    if mask:
        k = os.urandom(4)
        return h + k + bytes(c ^ k[i % 4] for i, c in enumerate(payload))
    return h + payload


class Reader:
    def __init__(self, s, rest=b""):
        self.s, self.buf = s, rest

    def need(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        r, self.buf = self.buf[:n], self.buf[n:]
        return r

    def frame(self):
        b0, b1 = self.need(2)
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack(">H", self.need(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self.need(8))[0]
        if b1 & 0x80:
            raise ValueError("server frame masked")
        return b0 & 0x0f, b0 & 0x80, b0 & 0x40, self.need(n)


def close_code_after(frames, extra=b"", expect_text=None):
    """send raw frames; return the code of the server's close frame (or None)"""
    s, head, rest = handshake(extra)
    if " 101 " not in head.split("\r\n")[0]:
        return "no 101: " + head.split("\r\n")[0]
    try:
        s.sendall(b"".join(frames))
    except OSError:
        pass
    r = Reader(s, rest)
    try:
        while True:
            op, fin, rsv1, pl = r.frame()
            if op == 8:
                code = struct.unpack(">H", pl[:2])[0] if len(pl) >= 2 else 1005
                try:
                    s.sendall(frame(8, pl[:2]))
                    # the server closes its side after the exchange
                    s.settimeout(5)
                    end = s.recv(10)
                except OSError:
                    end = b""
                s.close()
                return code
    except (EOFError, OSError, ValueError) as e:
        s.close()
        return "no close frame (%s)" % type(e).__name__


def expect_close(name, frames, code, extra=b""):
    got = close_code_after(frames, extra)
    case(name, got == code, "got %r want %r" % (got, code))


def raw_cases():
    # handshake refusals
    s, head, _ = handshake(version=b"8")
    case("handshake: version 8 -> 426 + version 13",
         head.startswith("HTTP/1.1 426") and "Sec-WebSocket-Version: 13" in head,
         head.split("\r\n")[0])
    s.close()
    s, head, _ = handshake(key=None)
    case("handshake: no key -> 400", head.startswith("HTTP/1.1 400"), head.split("\r\n")[0])
    s.close()
    s, head, _ = handshake(key=b"c2hvcnQ=")
    case("handshake: 5-byte key -> 400", head.startswith("HTTP/1.1 400"), head.split("\r\n")[0])
    s.close()
    s, head, _ = handshake(b"Content-Length: 5\r\n")
    case("handshake: a body with the upgrade -> 400", head.startswith("HTTP/1.1 400"),
         head.split("\r\n")[0])
    s.close()
    # another protocol's upgrade with a body is plain HTTP: the body is read as one
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
              b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"
              b"Content-Length: 5\r\n\r\nhello")
    head = s.recv(4096).decode("latin1")
    case("h2c upgrade with a body is served as HTTP/1.1", head.startswith("HTTP/1.1 200"),
         head.split("\r\n")[0])
    s.close()
    s, head, _ = handshake()
    case("handshake: accept value (RFC 6455 1.3)",
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head)
    s.close()

    # frames that fail the connection
    expect_close("1.x unmasked client frame -> 1002", [frame(1, b"hi", mask=False)], 1002)
    expect_close("3.1 rsv1 without extension -> 1002", [frame(1, b"hi", rsv=4)], 1002)
    expect_close("3.2 rsv2 -> 1002", [frame(1, b"hi", rsv=2)], 1002)
    expect_close("3.3 rsv3 after a good message -> 1002",
                 [frame(1, b"ok"), frame(1, b"hi", rsv=1)], 1002)
    for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        expect_close("4.x reserved opcode %d -> 1002" % op, [frame(op, b"x")], 1002)
    expect_close("5.1 fragmented ping -> 1002", [frame(9, b"x", fin=False)], 1002)
    expect_close("2.5 ping of 126 bytes -> 1002", [frame(9, b"x" * 126)], 1002)
    expect_close("5.9 continuation first -> 1002", [frame(0, b"x")], 1002)
    expect_close("5.18 text inside a text -> 1002",
                 [frame(1, b"a", fin=False), frame(1, b"b")], 1002)
    expect_close("6.x invalid UTF-8 -> 1007", [frame(1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited")], 1007)
    expect_close("6.x UTF-8 split across fragments, bad -> 1007",
                 [frame(1, b"\xe2\x82", fin=False), frame(0, b"A")], 1007)
    expect_close("6.x UTF-8 truncated at the end -> 1007", [frame(1, b"ab\xf0\x90")], 1007)
    expect_close("7.3 close with 1 byte -> 1002", [frame(8, b"\x03")], 1002)
    for c in (0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000):
        expect_close("7.9 close code %d -> 1002" % c, [frame(8, struct.pack(">H", c))], 1002)
    expect_close("7.5 close reason not UTF-8 -> 1007",
                 [frame(8, b"\x03\xe8\xc3\x28")], 1007)
    for c in (1000, 1001, 1003, 1007, 1011, 3000, 4999):
        expect_close("7.7 close code %d echoed" % c, [frame(8, struct.pack(">H", c) + b"r")], c)
    expect_close("7.x close without code echoed empty", [frame(8, b"")], 1005)
    expect_close("9.x frame over the limit -> 1009",
                 [frame(2, b"", length=LIMIT + 1)], 1009)
    expect_close("9.x fragments over the limit -> 1009",
                 [frame(2, b"x" * (LIMIT // 2), fin=False),
                  frame(0, b"x" * (LIMIT // 2), fin=False), frame(0, b"xx")], 1009)

    # ping and pong by hand, and a ping between fragments
    s, head, rest = handshake()
    s.sendall(frame(1, b"He", fin=False) + frame(9, b"ping!") + frame(0, b"llo") +
              frame(10, b"unsolicited"))
    r = Reader(s, rest)
    got = []
    try:
        while True:
            op, fin, _, pl = r.frame()
            got.append((op, pl))
            if op == 1:
                s.sendall(frame(8, b"\x03\xe8"))
            if op == 8:
                break
    except Exception:
        pass
    s.close()
    case("2.x ping answered with its payload, between fragments",
         got[:3] == [(10, b"ping!"), (1, b"Hello"), (8, b"\x03\xe8")], repr(got))

    # permessage-deflate decompression bomb
    s, head, rest = handshake(b"Sec-WebSocket-Extensions: permessage-deflate\r\n")
    ok = "permessage-deflate" in head
    if ok:
        c = zlib.compressobj(wbits=-15)
        z = c.compress(b"\0" * (64 << 20)) + c.flush(zlib.Z_SYNC_FLUSH)
        z = z[:-4]
        try:
            s.sendall(frame(2, z, rsv=4))
        except OSError:
            pass
        r = Reader(s, rest)
        code = None
        try:
            while True:
                op, fin, _, pl = r.frame()
                if op == 8:
                    code = struct.unpack(">H", pl[:2])[0]
                    break
        except Exception as e:
            code = repr(e)
        case("12.x deflate bomb (64 MiB in %d bytes) -> 1009" % len(z), code == 1009,
             "got %r" % code)
    else:
        case("12.x deflate negotiated", False, head)
    s.close()


async def lib_cases():
    for comp in (None, "deflate"):
        tag = "deflate" if comp else "plain"
        async with websockets.connect(URL, compression=comp, max_size=None) as ws:
            case("handshake (%s): extension %s" % (tag, "on" if comp else "off"),
                 bool(ws.extensions) == bool(comp), repr(ws.extensions))
            for n in (0, 1, 125, 126, 127, 65535, 65536, 500000, LIMIT):
                t = "".join(chr(0x61 + i % 26) for i in range(n))
                await ws.send(t)
                ok1 = (await ws.recv()) == t
                b = os.urandom(n)
                await ws.send(b)
                ok2 = (await ws.recv()) == b
                case("1.x echo %s %d bytes text+binary" % (tag, n), ok1 and ok2)
            await ws.send(["fr", "ag", "ment", "é€😀"])
            case("5.x fragmented text (%s)" % tag, (await ws.recv()) == "fragmenté€😀")
            await ws.send([b"\x00", b"", b"\xff"])
            case("5.x fragmented binary with an empty piece (%s)" % tag,
                 (await ws.recv()) == b"\x00\xff")
            pong = await ws.ping(b"abc")
            await asyncio.wait_for(pong, 5)
            case("2.x ping/pong (%s)" % tag, True)
            for i in range(100):
                await ws.send("m%d" % i)
            got = [await ws.recv() for i in range(100)]
            case("1.x 100 messages in flight (%s)" % tag,
                 got == ["m%d" % i for i in range(100)])
            await ws.close(code=4321, reason="done")
            case("7.x close 4321 echoed (%s)" % tag, ws.close_code == 4321,
                 str(ws.close_code))
    # over the limit through the library
    async with websockets.connect(URL, max_size=None, compression=None) as ws:
        await ws.send(b"x" * (LIMIT + 1))
        try:
            await ws.recv()
            code = None
        except websockets.ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd else None
        case("9.x message of limit+1 -> 1009 (library)", code == 1009, repr(code))
    async with websockets.connect(URL, max_size=None) as ws:
        await ws.send(b"\0" * (LIMIT + 1))
        try:
            await ws.recv()
            code = None
        except websockets.ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd else None
        case("12.x compressed message of limit+1 -> 1009", code == 1009, repr(code))


async def main():
    await lib_cases()
    raw_cases()

asyncio.run(asyncio.wait_for(main(), 120))
print("%d failed" % len(failed))
sys.exit(1 if failed else 0)
