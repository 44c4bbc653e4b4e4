#!/usr/bin/python3
# test-server-ws.py PORT: loom-test-server's WebSocket protocols with
# python3-websockets: loom-echo (16 MiB whole, 16 MiB + 1 gets 1009, echo for no
# protocol), loom-mirror (every message to every client), loom-increment (a counter
# every 50 ms, "reset"), and the demo page's script being served.
import asyncio, sys, time, urllib.request
import websockets

PORT = int(sys.argv[1])
URL = "ws://127.0.0.1:%d/" % PORT
failed = []


def case(name, ok, detail=""):
    print("%-52s %s %s" % (name, "ok" if ok else "FAIL", detail), flush=True)
    if not ok:
        failed.append(name)


async def closed_code(ws):
    try:
        await ws.recv()
    except websockets.ConnectionClosed as e:
        return e.rcvd.code if e.rcvd else None
    return None


async def main():
    page = urllib.request.urlopen("http://127.0.0.1:%d/" % PORT, timeout=5).read()
    js = urllib.request.urlopen("http://127.0.0.1:%d/ws.js" % PORT, timeout=5).read()
    case("demo page loads ws.js, which uses all three",
         b"ws.js" in page and all(p in js for p in
                                  (b"loom-echo", b"loom-mirror", b"loom-increment")))

    big = b"\x5a" * (16 << 20)
    for comp in (None, "deflate"):
        async with websockets.connect(URL, subprotocols=["loom-echo"], max_size=None,
                                      compression=comp) as ws:
            case("loom-echo chosen (%s)" % (comp or "plain"), ws.subprotocol == "loom-echo")
            await ws.send("hi")
            ok = await ws.recv() == "hi"
            await ws.send(big)
            ok = ok and await ws.recv() == big
            case("loom-echo: 16 MiB back whole (%s)" % (comp or "plain"), ok)
            await ws.send(big + b"!")
            code = await closed_code(ws)
            case("loom-echo: 16 MiB + 1 -> 1009 (%s)" % (comp or "plain"), code == 1009,
                 repr(code))
    async with websockets.connect(URL, max_size=None) as ws:
        await ws.send("no protocol named")
        case("no subprotocol -> echo", await ws.recv() == "no protocol named" and
             ws.subprotocol is None)

    a = await websockets.connect(URL, subprotocols=["loom-mirror"])
    b = await websockets.connect(URL, subprotocols=["loom-mirror"])
    await a.send("to everyone")
    ra = await asyncio.wait_for(a.recv(), 5)
    rb = await asyncio.wait_for(b.recv(), 5)
    case("loom-mirror: a message reaches every client", ra == rb == "to everyone")
    await b.send(b"\x00\x01")
    ra = await asyncio.wait_for(a.recv(), 5)
    case("loom-mirror: binary too", ra == b"\x00\x01")
    await a.close()
    await b.close()

    async with websockets.connect(URL, subprotocols=["loom-increment"]) as ws:
        t0 = time.monotonic()
        nums = [int(await asyncio.wait_for(ws.recv(), 5)) for i in range(10)]
        dt = time.monotonic() - t0
        case("loom-increment: 10 counts in order, ~50 ms apart",
             nums == list(range(nums[0], nums[0] + 10)) and 0.3 < dt < 3,
             "%s in %.2f s" % (nums, dt))
        await ws.send("reset")
        for i in range(5):
            n = int(await asyncio.wait_for(ws.recv(), 5))
            if n < nums[-1]:
                break
        case("loom-increment: reset", n < nums[-1], str(n))

asyncio.run(asyncio.wait_for(main(), 120))
print("%d failed" % len(failed))
sys.exit(1 if failed else 0)
