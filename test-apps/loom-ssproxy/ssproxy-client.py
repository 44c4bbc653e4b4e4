#!/usr/bin/python3
"""ssproxy-client.py PORT: drives loom-ssproxy over TCP with the SS serialization
wire format (READMEs/README.ss-serialization.md) and checks what comes back:
a whole stream's life (CREATED, states, response metadata, payload, ACK), payload
held to a small rx credit and released by CREDIT frames, refusals (unknown stream
type, a type not allowed, a wrong version), malformed frames dropping only their
own client, and 20 clients at once. Prints one line per case; exits 0 if all pass.
"""
import socket, struct, sys, threading, time

PORT = int(sys.argv[1])
HELLO, CREATED, METADATA, PAYLOAD, REQ_TX, CREDIT, STATE, CONNECT, DESTROY = range(1, 10)
STATES = {1: "CREATING", 2: "DISCONNECTED", 3: "UNREACHABLE", 5: "CONNECTED",
          6: "CONNECTING", 7: "DESTROYING", 9: "ALL_RETRIES_FAILED",
          10: "QOS_ACK_REMOTE", 11: "QOS_NACK_REMOTE"}


def frame(t, body=b""):
    return bytes([t]) + struct.pack(">H", len(body)) + body


def hello(name, credit=65536, version=1):
    return frame(HELLO, bytes([version]) + struct.pack(">I", credit) + name.encode())


class Client:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        self.buf = b""

    def send(self, b):
        self.s.sendall(b)

    def read_frame(self):
        """one frame (type, body), or None when the proxy closed"""
        while True:
            if len(self.buf) >= 3:
                n = struct.unpack(">H", self.buf[1:3])[0]
                if len(self.buf) >= 3 + n:
                    t, body = self.buf[0], self.buf[3:3 + n]
                    self.buf = self.buf[3 + n:]
                    return t, body
            try:
                d = self.s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                d = b""
            if not d:
                return None
            self.buf += d

    def close(self):
        self.s.close()


def session(credit=65536, give_back=True):
    """a hello stream's whole life; returns (states, metadata, payload, max frame)"""
    c = Client()
    c.send(hello("hello", credit))
    states, md, payload, biggest, flags = [], {}, b"", 0, []
    f = c.read_frame()
    assert f and f[0] == CREATED and f[1][0] == 0, f"CREATED {f}"
    while True:
        f = c.read_frame()
        assert f, f"closed early after {states}"
        t, b = f
        if t == STATE:
            st = struct.unpack(">II", b)
            states.append(STATES.get(st[0], st[0]))
            if st[0] in (10, 11, 9):
                break
        elif t == METADATA:
            n = b[0]
            md[b[1:1 + n].decode()] = b[1 + n:].decode()
        elif t == PAYLOAD:
            flags.append(b[0])
            payload += b[1:]
            biggest = max(biggest, len(b) - 1)
            if give_back and len(b) > 1:
                c.send(frame(CREDIT, struct.pack(">I", len(b) - 1)))
        else:
            raise AssertionError(f"unexpected frame {t}")
    c.send(frame(DESTROY))
    rest = []
    while True:
        f = c.read_frame()
        if not f:
            break
        rest.append(f[0])
    c.close()
    assert flags and flags[0] & 1 and flags[-1] & 2, f"SOM/EOM {flags}"
    return states, md, payload, biggest


def refused(name, version=1):
    c = Client()
    c.send(hello(name, 1000, version))
    f = c.read_frame()
    closed = c.read_frame() is None
    c.close()
    return f and f[0] == CREATED and f[1][0], closed


fails = 0


def case(name, fn):
    global fails
    try:
        fn()
        print("ok:", name)
    except AssertionError as e:
        print("FAIL:", name, e)
        fails += 1


def whole():
    states, md, payload, _ = session()
    assert states[:3] == ["CREATING", "CONNECTING", "CONNECTED"], states
    assert states[-1] == "QOS_ACK_REMOTE", states
    assert md.get("ctype", "").startswith("text/html"), md
    assert b"loom-test-server" in payload, payload[:100]
    global first_payload
    first_payload = payload


def small_credit():
    states, md, payload, biggest = session(credit=100)
    assert biggest <= 100, biggest
    assert payload == first_payload, (len(payload), len(first_payload))


def refusals():
    assert refused("no-such-type") == (1, True), refused("no-such-type")
    assert refused("denied") == (2, True), refused("denied")
    assert refused("srv") == (2, True), refused("srv")
    assert refused("hello", version=2) == (3, True), refused("hello", 2)


def malformed():
    good = Client()          # a client mid-way keeps working
    good.send(hello("hello"))
    f = good.read_frame()
    assert f and f[0] == CREATED, f
    for bad in (b"\x42\x00\x00", frame(STATE, b"\0" * 8), frame(CREDIT, b"\0\0\0\0"),
                frame(HELLO, b"\1\0\0\0\1a b"), frame(METADATA, b"\0"),
                frame(PAYLOAD, b"\1") + b"x"):
        c = Client()
        c.send(bad)
        f = c.read_frame()
        while f and f[0] != CREATED:
            f = c.read_frame()
        assert c.read_frame() is None, f"{bad!r} not dropped"
        c.close()
    # a payload past the credit it was given
    c = Client()
    c.send(hello("hello"))
    f = c.read_frame()
    assert f[0] == CREATED
    window = struct.unpack(">I", f[1][1:5])[0]
    chunk = frame(PAYLOAD, b"\0" + b"x" * 60000)
    try:
        for _ in range(window // 60000 + 2):
            c.send(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    while c.read_frame():
        pass
    c.close()
    # the first client still gets its whole stream
    while True:
        f = good.read_frame()
        assert f, "the good client was dropped"
        if f[0] == STATE and struct.unpack(">I", f[1][:4])[0] == 10:
            break
    good.close()


def md_limit():
    """a client's metadata value: 4096 bytes taken, 4097 drop that client (a
    name the policy lacks, so the request itself is not changed)"""
    for size, dropped in ((4096, False), (4097, True)):
        c = Client()
        c.send(hello("hello") + frame(METADATA, bytes([5]) + b"xmeta" + b"v" * size))
        while True:    # until the proxy closes, or the transaction ends
            f = c.read_frame()
            if f is None or (f[0] == STATE and struct.unpack(">I", f[1][:4])[0] in (10, 11)):
                break
        assert (f is None) == dropped, f"{size}: dropped {f is None}"
        c.close()


def many():
    res = []

    def one():
        try:
            res.append(session()[2] == first_payload)
        except AssertionError as e:
            res.append(str(e))
    ts = [threading.Thread(target=one) for _ in range(20)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert res.count(True) == 20, res


first_payload = b""
case("a stream's whole life through the proxy", whole)
case("payload held to a 100-byte rx credit", small_credit)
case("refusals: unknown type, not allowed, wrong version", refusals)
case("malformed frames drop only their client", malformed)
case("metadata value at and past its 4096-byte limit", md_limit)
case("20 clients at once", many)
sys.exit(1 if fails else 0)
