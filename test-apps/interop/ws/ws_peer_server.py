#!/usr/bin/python3
# ws_peer_server.py MODE: a WebSocket server for testing Loom's client. Prints its
# port on the first line of stdout; what it saw of the client's close goes to the
# file named by $WS_PEER_LOG. Modes:
#   echo      python3-websockets echo (compression allowed)
#   frag      raw: each message comes back in 3 fragments, a ping before it
#   badutf8   raw: answers the first message with invalid UTF-8 text
#   masked    raw: answers with a masked frame (servers must not mask)
#   close1001 raw: closes with 1001 right after the handshake
#   refuse    raw: answers the upgrade with 403
#   badaccept raw: a wrong Sec-WebSocket-Accept
#   cwb8      raw: permessage-deflate answered with client_max_window_bits=8
#   cwb9      raw: the same with 9 (usable; messages are not answered)
#   silent    raw: never answers the request
import asyncio, base64, hashlib, os, struct, sys
import websockets

MODE = sys.argv[1]
LOG = os.environ.get("WS_PEER_LOG")
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def log(s):
    if LOG:
        with open(LOG, "a") as f:
            f.write(s + "\n")


def frame(op, pl, fin=True, mask=False):
    b0 = (0x80 if fin else 0) | op
    n = len(pl)
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


async def read_frame(r):
    b0, b1 = await r.readexactly(2)
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack(">H", await r.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", await r.readexactly(8))[0]
    if not b1 & 0x80:
        raise ValueError("client frame not masked")
    k = await r.readexactly(4)
    pl = await r.readexactly(n)
    return b0 & 0x0f, bool(b0 & 0x80), bytes(c ^ k[i % 4] for i, c in enumerate(pl))


async def raw_conn(r, w):
    head = await r.readuntil(b"\r\n\r\n")
    key = b""
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
    if MODE == "silent":
        await asyncio.sleep(60)
        return
    if MODE == "refuse":
        w.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await w.drain()
        w.close()
        return
    acc = base64.b64encode(hashlib.sha1(key + GUID).digest())
    if MODE == "badaccept":
        acc = base64.b64encode(hashlib.sha1(key + b"x").digest())
    ext = b""
    if MODE in ("cwb8", "cwb9"):
        ext = (b"Sec-WebSocket-Extensions: permessage-deflate; "
               b"client_max_window_bits=" + MODE[3:].encode() + b"\r\n")
    w.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc + b"\r\n" +
            ext + b"\r\n")
    await w.drain()
    if MODE == "close1001":
        w.write(frame(8, struct.pack(">H", 1001) + b"going"))
        await w.drain()
    parts = []
    try:
        while True:
            op, fin, pl = await read_frame(r)
            if op == 8:
                code = struct.unpack(">H", pl[:2])[0] if len(pl) >= 2 else 1005
                log("client close %d" % code)
                if MODE not in ("close1001",):
                    w.write(frame(8, pl[:2]))
                    await w.drain()
                break
            if op == 9:
                w.write(frame(10, pl))
                continue
            if op == 10:
                continue
            parts.append(pl)
            if not fin:
                continue
            msg = b"".join(parts)
            parts = []
            if MODE == "frag":
                w.write(frame(9, b"hi") + frame(1, msg[:1], fin=False) +
                        frame(0, msg[1:2], fin=False) + frame(0, msg[2:]))
            elif MODE == "badutf8":
                w.write(frame(1, b"ok\xc0\xafno"))
            elif MODE == "masked":
                w.write(frame(1, msg, mask=True))
            await w.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError) as e:
        log("ended: %s" % type(e).__name__)
    w.close()


async def echo(ws, path=None):
    try:
        async for m in ws:
            await ws.send(m)
    except websockets.ConnectionClosed:
        pass
    log("client close %s" % ws.close_code)


async def main():
    if MODE == "echo":
        srv = await websockets.serve(echo, "127.0.0.1", 0, max_size=None)
    else:
        srv = await asyncio.start_server(raw_conn, "127.0.0.1", 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(float(os.environ.get("WS_PEER_LIFETIME", "60")))
    srv.close()

asyncio.run(main())
