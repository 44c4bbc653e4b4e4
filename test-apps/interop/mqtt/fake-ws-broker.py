#!/usr/bin/python3
# fake-ws-broker.py CLIENT: a scripted MQTT-over-WebSocket broker that runs
# minimal-mqtt-client (CLIENT) against itself, one scenario per connection, on
# 127.0.0.1 with ports picked at run time. Each scenario's client is bounded by
# a timeout and waited for by its pid. Exit 0 when every scenario went as wanted.
#
#   ok-v4, ok-v5  the broker echoes the client's publishes back (QoS 0, 1, 2)
#                 with everything it sends chopped into frames of 1 to 200 bytes
#                 (packets span frames, several share one) and pings between
#                 them; the client must succeed, answer every ping with its
#                 payload, send only masked binary frames, and end with
#                 DISCONNECT and a close frame 1000
#   text          a text frame after CONNACK: the client closes with 1003, fails
#   close         a close frame after CONNACK: the client echoes it, fails
#   badproto      the 101 names another subprotocol: no MQTT byte is sent
#   refuse        a 404 instead of 101: the client fails
import base64
import hashlib
import os
import socket
import struct
import subprocess
import sys
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
failures = []


def fail(scen, why):
    failures.append("%s: %s" % (scen, why))


def vbi(n):
    out = b""
    while True:
        b = n % 128
        n //= 128
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def frame(op, payload):
    n = len(payload)
    if n < 126:
        h = bytes([0x80 | op, n])
    elif n < 65536:
        h = bytes([0x80 | op, 126]) + struct.pack("!H", n)
    else:
        h = bytes([0x80 | op, 127]) + struct.pack("!Q", n)
    return h + payload


class Conn:
    def __init__(self, sock, scen):
        self.s = sock
        self.scen = scen
        self.buf = b""
        self.mqtt = b""          # the client's MQTT stream, unmasked
        self.pings = 0
        self.pongs = 0
        self.close_code = None
        self.bad_frames = 0
        self.chop = [1, 3, 200, 2, 64, 5, 1, 130]
        self.chop_i = 0
        self.gone = False        # a send failed: the client closed already

    def recv_more(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError()
        self.buf += d

    def read_head(self):
        while b"\r\n\r\n" not in self.buf:
            self.recv_more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return lines[0], hdrs

    def read_frame(self):
        """one client frame: checks masking; returns (opcode, payload)"""
        while True:
            if len(self.buf) >= 2:
                b0, b1 = self.buf[0], self.buf[1]
                n = b1 & 0x7F
                o = 2
                if n == 126:
                    o = 4
                elif n == 127:
                    o = 10
                if len(self.buf) >= o:
                    if n == 126:
                        n = struct.unpack("!H", self.buf[2:4])[0]
                    elif n == 127:
                        n = struct.unpack("!Q", self.buf[2:10])[0]
                    masked = b1 & 0x80
                    if masked:
                        o += 4
                    if len(self.buf) >= o + n:
                        mask = self.buf[o - 4:o] if masked else b"\0\0\0\0"
                        pl = bytes(c ^ mask[i % 4] for i, c in
                                   enumerate(self.buf[o:o + n]))
                        self.buf = self.buf[o + n:]
                        if not masked or not (b0 & 0x80):
                            self.bad_frames += 1
                        return b0 & 0x0F, pl
            self.recv_more()

    def next_packet(self):
        """the client's next MQTT packet (type/flags byte, body); pongs, closes
        and other frames are noted on the way"""
        while True:
            if len(self.mqtt) >= 2:
                rl, mult, i = 0, 1, 1
                while i < len(self.mqtt):
                    rl += (self.mqtt[i] & 0x7F) * mult
                    mult *= 128
                    i += 1
                    if not self.mqtt[i - 1] & 0x80:
                        if len(self.mqtt) >= i + rl:
                            p = (self.mqtt[0], self.mqtt[i:i + rl])
                            self.mqtt = self.mqtt[i + rl:]
                            return p
                        break
            op, pl = self.read_frame()
            if op == 2:
                self.mqtt += pl
            elif op == 0xA:
                if pl != b"pg%d" % self.pongs:
                    fail(self.scen, "pong payload %r" % pl)
                self.pongs += 1
            elif op == 8:
                self.close_code = struct.unpack("!H", pl[:2])[0] if pl else 1005
                raise EOFError()
            else:
                self.bad_frames += 1

    def send_chopped(self, data):
        """MQTT bytes as binary frames of varying size, a ping now and then"""
        while data:
            n = self.chop[self.chop_i % len(self.chop)]
            self.chop_i += 1
            piece, data = data[:n], data[n:]
            out = frame(2, piece)
            if self.chop_i % 3 == 0:
                out += frame(9, b"pg%d" % self.pings)
                self.pings += 1
            try:
                self.s.sendall(out)
            except OSError:
                # the client may finish (DISCONNECT, close) while acks of ours
                # are still on their way to it
                self.gone = True
                return


def handshake(c, proto="mqtt", status=101):
    line, h = c.read_head()
    if not line.startswith("GET /"):
        fail(c.scen, "request line %r" % line)
    if "mqtt" not in [p.strip() for p in h.get("sec-websocket-protocol", "").split(",")]:
        fail(c.scen, "no mqtt subprotocol offered: %r" % h)
    if h.get("upgrade", "").lower() != "websocket":
        fail(c.scen, "no Upgrade: websocket")
    if status != 101:
        c.s.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
        return
    acc = base64.b64encode(hashlib.sha1(h["sec-websocket-key"].encode() +
                                        GUID).digest()).decode()
    c.s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                 "Sec-WebSocket-Protocol: %s\r\n\r\n" % (acc, proto)).encode())


def connack(v5):
    return b"\x20\x03\x00\x00\x00" if v5 else b"\x20\x02\x00\x00"


def scen_ok(c, v5):
    handshake(c)
    t, body = c.next_packet()
    if t != 0x10:
        fail(c.scen, "first packet %02x, not CONNECT" % t)
    c.send_chopped(connack(v5))
    out_pid = 1
    ended = False
    while not ended:
        try:
            t, body = c.next_packet()
        except (EOFError, OSError):
            # only after a send to a client that had finished, with its close
            # frame (if it got through the reset) saying 1000
            if not c.gone or c.close_code not in (None, 1000):
                fail(c.scen, "the connection ended early (close %r)" % c.close_code)
            break
        typ = t >> 4
        if typ == 8:        # SUBSCRIBE -> SUBACK granting QoS 2
            pid = body[:2]
            c.send_chopped(b"\x90" + vbi(4 if v5 else 3) + pid +
                           (b"\x00" if v5 else b"") + b"\x02")
        elif typ == 3:      # PUBLISH -> ack, and the message back at its QoS
            qos = (t >> 1) & 3
            tl = struct.unpack("!H", body[:2])[0]
            topic = body[2:2 + tl]
            o = 2 + tl
            pid = b""
            if qos:
                pid = body[o:o + 2]
                o += 2
            if v5:
                plen, m, i = 0, 1, o
                while True:
                    plen += (body[i] & 0x7F) * m
                    m *= 128
                    i += 1
                    if not body[i - 1] & 0x80:
                        break
                o = i + plen
            payload = body[o:]
            reply = b""
            if qos == 1:
                reply += b"\x40\x02" + pid
            elif qos == 2:
                reply += b"\x50\x02" + pid
            vh = struct.pack("!H", tl) + topic
            if qos:
                vh += struct.pack("!H", out_pid)
                out_pid += 1
            if v5:
                vh += b"\x00"
            reply += bytes([0x30 | (qos << 1)]) + vbi(len(vh) + len(payload)) + vh + payload
            c.send_chopped(reply)
        elif typ == 6:      # PUBREL -> PUBCOMP
            c.send_chopped(b"\x70\x02" + body[:2])
        elif typ == 5:      # PUBREC of our QoS 2 -> PUBREL
            c.send_chopped(b"\x62\x02" + body[:2])
        elif typ in (4, 7):  # PUBACK / PUBCOMP of ours
            pass
        elif typ == 14:     # DISCONNECT, then the close frame
            try:
                c.next_packet()
            except EOFError:
                pass
            if c.close_code != 1000:
                fail(c.scen, "close code after DISCONNECT %r" % c.close_code)
            try:
                # the client may already have closed: MQTT has it close the
                # network connection after DISCONNECT
                c.s.sendall(frame(8, struct.pack("!H", 1000)))
            except OSError:
                pass
            ended = True
        else:
            fail(c.scen, "unexpected packet %02x" % t)
            ended = True
    # pings that reach the client after it closed are not answered (RFC 6455
    # 5.5.2 asks for a pong "unless it already received a Close frame"; after
    # sending one it may stop too): at most the last two go unanswered
    if c.pongs > c.pings or c.pongs + 2 < c.pings:
        fail(c.scen, "%d pings, %d pongs" % (c.pings, c.pongs))
    if c.pings < 3:
        fail(c.scen, "only %d pings sent" % c.pings)


def scen_text(c):
    handshake(c)
    c.next_packet()
    c.send_chopped(connack(False))
    c.s.sendall(frame(1, b"hello"))
    try:
        while True:
            c.next_packet()
    except EOFError:
        pass
    if c.close_code != 1003:
        fail(c.scen, "close code %r, not 1003" % c.close_code)


def scen_close(c):
    handshake(c)
    c.next_packet()
    c.send_chopped(connack(False))
    c.s.sendall(frame(8, struct.pack("!H", 1001) + b"going away"))
    try:
        while True:
            c.next_packet()
    except EOFError:
        pass
    if c.close_code != 1001:
        fail(c.scen, "close echo %r, not 1001" % c.close_code)


def scen_badproto(c):
    handshake(c, proto="mqttv3.1")
    try:
        while True:
            op, pl = c.read_frame()
            fail(c.scen, "a frame (op %d) after a bad 101" % op)
    except (EOFError, OSError):
        pass


def scen_refuse(c):
    handshake(c, status=404)
    try:
        while c.s.recv(4096):
            pass
    except OSError:
        pass


SCENS = [
    ("ok-v4", lambda c: scen_ok(c, False), ["-v", "4"], 0),
    ("ok-v5", lambda c: scen_ok(c, True), ["-v", "5"], 0),
    ("text", scen_text, [], 1),
    ("close", scen_close, [], 1),
    ("badproto", scen_badproto, [], 1),
    ("refuse", scen_refuse, [], 1),
]


def run(client, name, fn, args, want_rc):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(10)
    port = ls.getsockname()[1]
    p = subprocess.Popen([client, "ws://127.0.0.1:%d/%s" % (port, name),
                          "--timeout", "5"] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def serve():
        try:
            s, _ = ls.accept()
            s.settimeout(8)
            c = Conn(s, name)
            try:
                fn(c)
            except EOFError:
                if name.startswith("ok"):
                    fail(name, "the client went away early")
            if c.bad_frames:
                fail(name, "%d frames unmasked, not final or not binary" %
                     c.bad_frames)
            s.close()
        except Exception as e:  # noqa: BLE001 - any broker-side error fails it
            fail(name, "broker side: %r" % e)

    t = threading.Thread(target=serve)
    t.start()
    try:
        out, _ = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, 9)
        out, _ = p.communicate()
        fail(name, "client did not exit in time")
    t.join(15)
    ls.close()
    rc = p.returncode
    if (rc == 0) != (want_rc == 0):
        fail(name, "client exit %d, wanted %s" % (rc, "0" if not want_rc else "non-zero"))
    print("--- %s: client exit %d" % (name, rc))
    sys.stdout.write(out.decode(errors="replace"))


def main():
    if len(sys.argv) != 2:
        print("usage: fake-ws-broker.py MINIMAL_MQTT_CLIENT")
        return 2
    for name, fn, args, want in SCENS:
        run(sys.argv[1], name, fn, args, want)
    for f in failures:
        print("FAIL", f)
    print("fake-ws-broker: %d scenarios, %d failures" % (len(SCENS), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
