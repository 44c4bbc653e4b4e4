#!/usr/bin/python3
# ws_client_conformance.py WS_CLIENT: Loom's WebSocket client (minimal-ws-client)
# against a strict server, case by case, in the spirit of the Autobahn
# testsuite's client mode (categories 1-7, 9, 10, 12, 13): framing and sizes,
# fragmentation with pings between the fragments, close codes and reasons,
# UTF-8 (valid and invalid, split anywhere), reserved bits and opcodes, message
# limits and permessage-deflate with every parameter the client can be given.
#
# Each case starts the client on a fresh connection to a server on 127.0.0.1
# (port picked at run time) with some stdin lines; the server answers each line
# the way the case wants and records every frame the client sends. The case then
# checks what the client printed, how it exited and what it sent (its pongs and
# its close code). A case that takes longer than its bound fails; every client
# process is killed by its PID. Prints one "ok"/"FAIL" line per case and
# "N failed"; exits 0 only when none failed.
#
# Raw frames are made here (the python3-websockets server is used for the
# permessage-deflate cases, where it is the strict peer of the negotiation).
import asyncio
import os
import random
import struct
import sys
import zlib

import websockets
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

CLIENT = sys.argv[1]
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CASE_TIMEOUT = 30
fails = 0


def frame(op, pl, fin=True, rsv=0, mask=False, length=None):
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    n = len(pl) if length is None else length
    mb = 0x80 if mask else 0
    if n < 126:
        h = bytes([b0, mb | n])
    elif n < 65536:
        h = bytes([b0, mb | 126]) + struct.pack(">H", n)
    else:
        h = bytes([b0, mb | 127]) + struct.pack(">Q", n)
    if mask:
        k = b"\x01\x02\x03\x04"
        return h + k + bytes(c ^ k[i % 4] for i, c in enumerate(pl))
    return h + pl


def close_pl(code, reason=b""):
    return struct.pack(">H", code) + reason


class Conn:
    """One raw server connection: what the client sent, frame by frame."""

    def __init__(self, r, w):
        self.r, self.w = r, w
        self.pongs = []
        self.close_code = None      # None: no close frame came
        self.unmasked = False
        self.ended = asyncio.get_running_loop().create_future()

    async def handshake(self, ext=b""):
        head = await self.r.readuntil(b"\r\n\r\n")
        key = b""
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"sec-websocket-key:"):
                key = line.split(b":", 1)[1].strip()
        import base64
        import hashlib
        acc = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self.w.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc +
                     b"\r\n" + ext + b"\r\n")
        await self.w.drain()
        self.offer = head

    async def read_frame(self):
        b0, b1 = await self.r.readexactly(2)
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack(">H", await self.r.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", await self.r.readexactly(8))[0]
        if not b1 & 0x80:
            self.unmasked = True
            k = b"\0\0\0\0"
        else:
            k = await self.r.readexactly(4)
        pl = await self.r.readexactly(n)
        return b0 & 0x0f, bool(b0 & 0x80), bytes(c ^ k[i % 4] for i, c in enumerate(pl))

    async def messages(self):
        """Yield the client's text messages; record pongs and its close."""
        parts = []
        try:
            while True:
                op, fin, pl = await self.read_frame()
                if op == 8:
                    self.close_code = struct.unpack(">H", pl[:2])[0] if len(pl) >= 2 else 1005
                    return
                if op == 10:
                    self.pongs.append(pl)
                    continue
                if op == 9:
                    self.send(frame(10, pl))
                    continue
                parts.append(pl)
                if fin:
                    yield b"".join(parts)
                    parts = []
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    def send(self, b):
        self.w.write(b)

    async def drain_until_close(self):
        async for _ in self.messages():
            pass


async def run_client(port, lines, args=(), stdin_hold=0.0):
    """Run the client with LINES on stdin (kept open STDIN_HOLD s after them)."""
    p = await asyncio.create_subprocess_exec(
        CLIENT, "ws://127.0.0.1:%d/" % port, "--timeout", "5", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)

    async def feed():
        for ln in lines:
            p.stdin.write(ln + b"\n")
        try:
            await p.stdin.drain()
            if stdin_hold:
                await asyncio.sleep(stdin_hold)
            p.stdin.close()
        except (ConnectionError, BrokenPipeError):
            pass
    try:
        f = asyncio.ensure_future(feed())
        out, err = await asyncio.wait_for(p.communicate(), CASE_TIMEOUT)
        f.cancel()
        return p.returncode, out, err
    except asyncio.TimeoutError:
        p.kill()
        await p.wait()
        return None, b"", b"timeout"


def report(name, ok, detail=""):
    global fails
    if ok:
        print("ok   %s" % name)
    else:
        fails += 1
        print("FAIL %s %s" % (name, detail))
    sys.stdout.flush()


async def raw_case(name, lines, behave, check, args=(), ext=b"", stdin_hold=1.0):
    """
    behave(conn, msg_index, msg) answers each client message; check(...) -> ok.
    The client's stdin stays open STDIN_HOLD s after the lines: it closes with
    1000 at the end of its input, which must not come before what the case
    wants it to see.
    """
    conns = []

    async def handler(r, w):
        c = Conn(r, w)
        conns.append(c)
        try:
            await c.handshake(ext)
            i = 0
            done = False
            async for m in c.messages():
                more = await behave(c, i, m)
                await c.w.drain()
                i += 1
                if more is False:
                    # the case sent a close, or something the client must
                    # fail on: read on until its close, answer nothing
                    done = True
                    await c.drain_until_close()
                    break
            if not done and c.close_code is not None:
                # the client closed: answer it
                c.send(frame(8, close_pl(c.close_code) if c.close_code != 1005 else b""))
                await c.w.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            w.close()

    srv = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    rc, out, err = await run_client(port, lines, args, stdin_hold)
    srv.close()
    await asyncio.sleep(0.05)
    c = conns[0] if conns else None
    try:
        ok, why = check(rc, out, c)
    except Exception as e:  # a check that cannot even look is a failure
        ok, why = False, repr(e)
    report(name, ok, "(%s; exit %s, close %s, stderr %r)" % (
        why, rc, c.close_code if c else "-", err[-200:]))


def expect_close(code_set, rc_zero=False):
    def check(rc, out, c):
        if rc is None:
            return False, "hung"
        if c is None:
            return False, "no connection"
        if c.unmasked:
            return False, "client sent an unmasked frame"
        if c.close_code not in code_set:
            return False, "close %s, wanted %s" % (c.close_code, sorted(code_set))
        if rc_zero and rc != 0:
            return False, "exit not 0"
        if not rc_zero and rc == 0:
            return False, "exit 0 after a failed connection"
        return True, ""
    return check


def expect_echo(lines, pongs=None):
    def check(rc, out, c):
        want = b"".join(ln + b"\n" for ln in lines)
        if rc != 0:
            return False, "exit not 0"
        if out != want:
            return False, "output differs (%d bytes, wanted %d)" % (len(out), len(want))
        if c.close_code != 1000:
            return False, "close not 1000"
        if c.unmasked:
            return False, "client sent an unmasked frame"
        if pongs is not None and c.pongs != pongs:
            return False, "pongs %r, wanted %r" % (c.pongs[:4], pongs[:4])
        return True, ""
    return check


# ---- behaviours ----

def echo_frags(size, ping=None, empty=False):
    async def b(c, i, m):
        out = b""
        if empty:
            out += frame(1, b"", fin=False)
        k = 0
        first = not empty
        while k < len(m) or first:
            piece = m[k:k + size]
            k += size
            last = k >= len(m)
            out += frame(1 if first else 0, piece, fin=last)
            first = False
            if ping is not None and not last:
                out += frame(9, ping)
        if empty and not m:
            out += frame(0, b"")
        c.send(out)
    return b


def echo_with(extra_before=b"", extra_after=b""):
    async def b(c, i, m):
        c.send(extra_before + frame(1, m) + extra_after)
    return b


def send_then_fail(bad):
    async def b(c, i, m):
        c.send(frame(1, m) + bad)
        return False
    return b


def answer_with(raw):
    async def b(c, i, m):
        c.send(raw)
        return False
    return b


def answer_ok(raw):
    async def b(c, i, m):
        c.send(raw)
    return b


async def main():
    lines = [b"hello", b"", b"w\xc3\xb6rld \xe2\x82\xac", b"x" * 200, b"y" * 70000]

    # -- 1, 5: framing, sizes, fragmentation with pings between fragments
    await raw_case("1.1 echo of 0, 5, 200 and 70000 bytes", lines, echo_with(), expect_echo(lines))
    sizes = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20]

    async def by_size(c, i, m):
        c.send(frame(1, b"s" * sizes[i]))
    await raw_case("1.2 messages of 0 .. 16 MiB (7-, 16- and 64-bit lengths)",
                   [b"go"] * len(sizes), by_size,
                   expect_echo([b"s" * n for n in sizes]),
                   args=["--max-message", str(16 << 20)])
    for sz in (1, 3, 64):
        await raw_case("5.%d fragments of %d byte(s), a ping between each" % (sz, sz),
                       lines[:4], echo_frags(sz, ping=b"pp"),
                       lambda rc, out, c: expect_echo(lines[:4])(rc, out, c)
                       if c and len(c.pongs) == sum(max(0, (len(m) + sz - 1) // sz - 1)
                                                    for m in lines[:4])
                       and all(p == b"pp" for p in c.pongs)
                       else (False, "pongs %d" % (len(c.pongs) if c else -1)))
    await raw_case("5.9 empty first and last fragments", lines[:3],
                   echo_frags(2, empty=True), expect_echo(lines[:3]))
    await raw_case("2.1 ping of 0 and 125 bytes answered with the same payload",
                   [b"a"], echo_with(frame(9, b"") + frame(9, bytes(range(125)))),
                   expect_echo([b"a"], pongs=[b"", bytes(range(125))]))
    await raw_case("2.2 an unsolicited pong is ignored", [b"a"],
                   echo_with(frame(10, b"unasked")), expect_echo([b"a"]))
    await raw_case("2.3 ping of 126 bytes -> 1002", [b"a"],
                   send_then_fail(frame(9, b"p" * 126)), expect_close({1002}))
    await raw_case("5.1 a fragmented ping -> 1002", [b"a"],
                   send_then_fail(frame(9, b"p", fin=False) + frame(0, b"q")),
                   expect_close({1002}))
    await raw_case("5.3 continuation with no message started -> 1002", [b"a"],
                   send_then_fail(frame(0, b"c")), expect_close({1002}))
    await raw_case("5.4 new text frame inside a fragmented message -> 1002", [b"a"],
                   send_then_fail(frame(1, b"c", fin=False) + frame(1, b"d")),
                   expect_close({1002}))
    await raw_case("5.5 a ping between fragments of a binary message", [b"a"],
                   echo_with(frame(2, b"bi", fin=False) + frame(9, b"z") +
                             frame(0, b"nary")),
                   lambda rc, out, c: (out.startswith(b"binary\n") and rc == 0 and
                                       c.pongs == [b"z"], "out %r" % out[:40]))

    # -- 3, 4: reserved bits and opcodes
    for rsv in (1, 2, 4):
        await raw_case("3.%d RSV=%d without an extension -> 1002" % (rsv, rsv), [b"a"],
                       send_then_fail(frame(1, b"r", rsv=rsv)), expect_close({1002}))
    for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        await raw_case("4.%d reserved opcode %d -> 1002" % (op, op), [b"a"],
                       send_then_fail(frame(op, b"o")), expect_close({1002}))
    await raw_case("4.99 masked frame from the server -> 1002", [b"a"],
                   answer_with(frame(1, b"m", mask=True)), expect_close({1002}))

    # -- 6: UTF-8
    utf8_ok = "κόσμε € 𝄞 \u0000 \uffff".encode()
    await raw_case("6.1 valid UTF-8 split at every byte", [b"a"],
                   answer_ok(b"".join(frame(1 if i == 0 else 0, utf8_ok[i:i + 1],
                                            fin=i == len(utf8_ok) - 1)
                                      for i in range(len(utf8_ok)))),
                   expect_echo([utf8_ok]))
    bad = {
        "lone continuation": b"a\x80b",
        "overlong /": b"\xc0\xaf",
        "overlong 3-byte": b"\xe0\x80\xaf",
        "surrogate D800": b"\xed\xa0\x80",
        "above U+10FFFF": b"\xf4\x90\x80\x80",
        "F5 lead byte": b"\xf5\x80\x80\x80",
        "truncated at end": b"ok\xe2\x82",
        "FF byte": b"\xff",
    }
    for n, (what, b) in enumerate(bad.items()):
        await raw_case("6.%d invalid UTF-8 (%s) -> 1007" % (10 + n, what), [b"a"],
                       answer_with(frame(1, b)), expect_close({1007}))
    await raw_case("6.20 invalid UTF-8 in the 2nd fragment, message unfinished -> 1007",
                   [b"a"], answer_with(frame(1, b"good", fin=False) + frame(0, b"\xed\xa0",
                                                                             fin=False)),
                   expect_close({1007}))
    await raw_case("6.21 code point split over fragments then invalid -> 1007", [b"a"],
                   answer_with(frame(1, b"\xe2", fin=False) + frame(0, b"\x82\x28")),
                   expect_close({1007}))

    # -- 7: close handling
    for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999):
        await raw_case("7.%d server closes with %d: the client answers it" % (code, code),
                       [b"a"], answer_with(frame(8, close_pl(code, b"why"))),
                       expect_close({code, 1000}))
    await raw_case("7.2 server closes with no payload: the client answers", [b"a"],
                   answer_with(frame(8, b"")), expect_close({1005, 1000}))
    await raw_case("7.3 server close with a 123-byte reason", [b"a"],
                   answer_with(frame(8, close_pl(1000, b"r" * 123))),
                   expect_close({1000}))
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
        await raw_case("7.9 invalid close code %d -> 1002" % code, [b"a"],
                       answer_with(frame(8, close_pl(code))), expect_close({1002}))
    await raw_case("7.4 a 1-byte close payload -> 1002", [b"a"],
                   answer_with(frame(8, b"\x03")), expect_close({1002}))
    await raw_case("7.5 close reason not UTF-8 -> 1007", [b"a"],
                   answer_with(frame(8, close_pl(1000, b"\xff\xfe"))),
                   expect_close({1007, 1002}))
    await raw_case("7.6 close frame of 126 bytes -> 1002", [b"a"],
                   answer_with(frame(8, close_pl(1000, b"r" * 124))),
                   expect_close({1002}))
    await raw_case("7.7 data after the server's close is ignored", [b"a"],
                   answer_with(frame(8, close_pl(1000)) + frame(1, b"late")),
                   lambda rc, out, c: (c.close_code == 1000 and b"late" not in out,
                                       "out %r" % out))

    # -- 9: limits (--max-message) at their edge
    lim = ["--max-message", "1000"]
    await raw_case("9.1 a message of exactly --max-message bytes", [b"a"],
                   echo_with(frame(1, b"m" * 1000)),
                   lambda rc, out, c: (rc == 0 and out.startswith(b"m" * 1000 + b"\n"),
                                       "out %d bytes" % len(out)), args=lim)
    await raw_case("9.2 one byte over --max-message -> 1009", [b"a"],
                   answer_with(frame(1, b"m" * 1001)), expect_close({1009}), args=lim)
    await raw_case("9.3 fragments adding up to over --max-message -> 1009", [b"a"],
                   answer_with(frame(1, b"m" * 600, fin=False) + frame(0, b"m" * 401)),
                   expect_close({1009}), args=lim)
    await raw_case("9.4 a frame header claiming 2^40 bytes -> 1009", [b"a"],
                   answer_with(frame(2, b"", length=1 << 40)), expect_close({1009}),
                   args=lim)
    await raw_case("9.5 a 64-bit length with the top bit set -> 1002", [b"a"],
                   answer_with(frame(2, b"", length=1 << 63)), expect_close({1002, 1009}),
                   args=lim)

    # -- 12, 13: permessage-deflate, negotiated by python3-websockets
    pmd_lines = [b"compress me " * 50, b"", b"abc", bytes(random.Random(5).choice(
        b"abcdefgh") for _ in range(100000)), b"compress me " * 50]
    variants = [
        ("defaults", {}),
        ("server_no_context_takeover", {"server_no_context_takeover": True}),
        ("client_no_context_takeover", {"client_no_context_takeover": True}),
        ("server_max_window_bits=9", {"server_max_window_bits": 9}),
        ("server_max_window_bits=12", {"server_max_window_bits": 12}),
        ("client_max_window_bits=9", {"client_max_window_bits": 9}),
        ("client_max_window_bits=11", {"client_max_window_bits": 11}),
        ("everything", {"server_no_context_takeover": True,
                        "client_no_context_takeover": True,
                        "server_max_window_bits": 10, "client_max_window_bits": 10}),
    ]
    for n, (what, kw) in enumerate(variants):
        seen = {}

        async def echo(ws, path=None):
            seen["ext"] = ws.response_headers.get("Sec-WebSocket-Extensions")
            try:
                async for m in ws:
                    await ws.send(m)
            except websockets.ConnectionClosed:
                pass
            seen["code"] = ws.close_code
        srv = await websockets.serve(echo, "127.0.0.1", 0, max_size=None,
                                     compression=None,
                                     extensions=[ServerPerMessageDeflateFactory(**kw)])
        port = srv.sockets[0].getsockname()[1]
        rc, out, err = await run_client(port, pmd_lines, ["--deflate"])
        srv.close()
        await srv.wait_closed()
        want = b"".join(ln + b"\n" for ln in pmd_lines)
        ok = rc == 0 and out == want and seen.get("code") == 1000 and \
            seen.get("ext", "").startswith("permessage-deflate")
        report("12.%d permessage-deflate %s: echo intact, close 1000" % (n + 1, what), ok,
               "(exit %s, ext %r, close %s, %d bytes out)" % (
                   rc, seen.get("ext"), seen.get("code"), len(out)))

    # raw deflate cases: negotiated by hand
    def deflate(data):
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]
    ext = b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
    await raw_case("13.1 compressed message split over 3 fragments", [b"a"],
                   answer_with(b"".join([
                       frame(1, deflate(b"hello hello hello")[:3], fin=False, rsv=4),
                       frame(0, deflate(b"hello hello hello")[3:6], fin=False),
                       frame(0, deflate(b"hello hello hello")[6:])]) + frame(8, close_pl(1000))),
                   lambda rc, out, c: (out.startswith(b"hello hello hello\n"),
                                       "out %r" % out[:40]),
                   args=["--deflate"], ext=ext)
    await raw_case("13.2 decompression bomb (16 MiB of zeros) over --max-message -> 1009",
                   [b"a"], answer_with(frame(2, deflate(bytes(16 << 20)), rsv=4)),
                   expect_close({1009}), args=["--deflate", "--max-message", "65536"],
                   ext=ext)
    await raw_case("13.3 RSV1 on a continuation frame -> 1002", [b"a"],
                   answer_with(frame(1, deflate(b"abc"), fin=False, rsv=4) +
                               frame(0, b"", rsv=4)),
                   expect_close({1002}), args=["--deflate"], ext=ext)
    await raw_case("13.4 RSV1 on a control frame -> 1002", [b"a"],
                   answer_with(frame(9, b"", rsv=4)), expect_close({1002}),
                   args=["--deflate"], ext=ext)
    await raw_case("13.5 corrupt deflate data -> 1007", [b"a"],
                   answer_with(frame(1, b"\xff\xff\xff\xff", rsv=4)),
                   expect_close({1007, 1002}), args=["--deflate"], ext=ext)
    await raw_case("13.6 a server that accepts an extension not offered -> fails", [b"a"],
                   answer_with(b""),
                   lambda rc, out, c: (rc not in (0, None), "exit %s" % rc),
                   ext=b"Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n")

    print("%d failed" % fails)
    return fails


if __name__ == "__main__":
    sys.exit(1 if asyncio.run(main()) else 0)
