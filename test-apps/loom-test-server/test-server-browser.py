#!/usr/bin/python3
# test-server-browser.py PORT [h2]: headless Chromium on loom-test-server's demo page;
# through the DevTools protocol (a WebSocket itself, driven with python3-websockets)
# it polls the page until the echo, mirror and increment boxes all say "ok". With
# "h2", PORT is the TLS port (test certificate accepted) and the page must have
# come over HTTP/2.
import asyncio, json, os, socket, subprocess, sys, tempfile, time, urllib.request
import websockets

PORT = int(sys.argv[1])
H2 = len(sys.argv) > 2 and sys.argv[2] == "h2"
CHROMIUM = os.environ.get("CHROMIUM", "chromium")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


async def main():
    dport = free_port()
    prof = tempfile.mkdtemp(prefix="loom-chromium-")
    proc = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                             "--no-first-run", "--user-data-dir=" + prof,
                             "--remote-debugging-port=%d" % dport] +
                            (["--ignore-certificate-errors",
                              "https://127.0.0.1:%d/" % PORT] if H2 else
                             ["http://127.0.0.1:%d/" % PORT]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        target = None
        for i in range(100):
            try:
                tabs = json.load(urllib.request.urlopen(
                    "http://127.0.0.1:%d/json" % dport, timeout=2))
                target = next(t for t in tabs if t.get("type") == "page")
                break
            except Exception:
                await asyncio.sleep(0.1)
        if not target:
            print("FAIL: no DevTools page")
            return 1
        expr = ("['echo','mirror','increment'].map(i => "
                "document.getElementById(i + '-status').textContent).join('|')")
        async with websockets.connect(target["webSocketDebuggerUrl"], max_size=None) as ws:
            state, n = "", 0
            t0 = time.monotonic()
            while time.monotonic() - t0 < 15:
                n += 1
                await ws.send(json.dumps({"id": n, "method": "Runtime.evaluate",
                                          "params": {"expression": expr}}))
                while True:
                    r = json.loads(await ws.recv())
                    if r.get("id") == n:
                        break
                state = r.get("result", {}).get("result", {}).get("value", "")
                if state == "echo ok|mirror ok|increment ok":
                    print("ok: the demo page in Chromium: %s" % state)
                    if not H2:
                        return 0
                    n += 1
                    await ws.send(json.dumps({"id": n, "method": "Runtime.evaluate",
                        "params": {"expression": "performance.getEntriesByType("
                                   "'navigation')[0].nextHopProtocol"}}))
                    while True:
                        r = json.loads(await ws.recv())
                        if r.get("id") == n:
                            break
                    proto = r.get("result", {}).get("result", {}).get("value", "")
                    if proto == "h2":
                        print("ok: the page came over h2")
                        return 0
                    print("FAIL: the page came over %r, not h2" % proto)
                    return 1
                await asyncio.sleep(0.2)
            print("FAIL: the demo page in Chromium: %r" % state)
            return 1
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        subprocess.run(["rm", "-rf", prof])

sys.exit(asyncio.run(main()))
