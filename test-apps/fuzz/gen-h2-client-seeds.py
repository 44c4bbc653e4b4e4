#!/usr/bin/python3
# gen-h2-client-seeds.py DIR: writes the seed corpus of fuzz-h2-client: server byte
# streams (SETTINGS first) answering the harness's requests on streams 1, 3, 5, 7.
# The first byte of each seed: (requests - 1) | 4 when the user pauses reading.
import os
import struct
import sys

import hpack


def frame(t, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([t, flags]) + \
        struct.pack(">I", sid) + payload


def settings(*kv):
    return frame(4, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in kv))


ACK = frame(4, 1, 0)
enc = None


def hdrs(sid, fields, end=False, end_headers=True):
    return frame(1, (1 if end else 0) | (4 if end_headers else 0), sid, enc.encode(fields))


def data(sid, b, end=False):
    return frame(0, 1 if end else 0, sid, b)


def resp(sid, body=b"ok", extra=()):
    return hdrs(sid, [(":status", "200"), ("content-length", str(len(body)))] +
                list(extra)) + data(sid, body, True)


seeds = {}


def seed(name, first, fn):
    global enc
    enc = hpack.Encoder()
    seeds[name] = bytes([first]) + fn()


seed("get-ok", 0, lambda: settings() + ACK + resp(1))
seed("three-streams", 2, lambda: settings((3, 2)) + ACK + resp(1) + resp(3, b"abc",
     [("server", "fz"), ("x-a", "1")]) + resp(5, b"x" * 100, [("server", "fz")]))
seed("four-post", 3, lambda: settings((3, 100), (4, 1000)) + ACK +
     frame(8, 0, 0, struct.pack(">I", 100000)) + resp(1) +
     frame(8, 0, 3, struct.pack(">I", 5000)) + resp(3, b"received 1000 bytes") +
     resp(5) + resp(7))
seed("continuation", 0, lambda: settings() + ACK +
     frame(1, 0, 1, b"") + frame(9, 0, 1, hpack.Encoder().encode([(":status", "200")])) +
     frame(9, 4, 1, b"") + data(1, b"ok", True))
seed("trailers", 0, lambda: settings() + ACK + hdrs(1, [(":status", "200")]) +
     data(1, b"body") + hdrs(1, [("x-trailer", "t")], end=True))
seed("interim-100", 0, lambda: settings() + ACK + hdrs(1, [(":status", "100")]) +
     hdrs(1, [(":status", "103"), ("link", "</a>")]) + resp(1))
seed("rst", 1, lambda: settings() + ACK + frame(3, 0, 1, struct.pack(">I", 2)) +
     resp(3))
seed("goaway", 2, lambda: settings() + ACK + resp(1) +
     frame(7, 0, 0, struct.pack(">II", 1, 0) + b"bye"))
seed("ping-window", 0, lambda: settings((4, 10)) + frame(6, 0, 0, b"12345678") +
     frame(6, 1, 0, b"87654321") + ACK + frame(8, 0, 0, struct.pack(">I", 1)) + resp(1))
seed("table-size", 2, lambda: settings((1, 0)) + ACK + resp(1, b"a", [("x-big", "v" * 200)]) +
     resp(3, b"b", [("x-big", "v" * 200)]) + resp(5))
seed("big-paused", 4, lambda: settings() + ACK + hdrs(1, [(":status", "200")]) +
     b"".join(data(1, b"d" * 16384) for _ in range(4)) + data(1, b"", True))
seed("big-window", 0, lambda: settings((5, 32768)) + ACK + hdrs(1, [(":status", "200")]) +
     b"".join(data(1, b"d" * 16384) for _ in range(8)) + data(1, b"end", True))
seed("padded", 0, lambda: settings() + ACK +
     frame(1, 4 | 8, 1, b"\x03" + hpack.Encoder().encode([(":status", "204")]) + b"\0\0\0") +
     frame(0, 1 | 8, 1, b"\x02" + b"\0\0"))
seed("push-promise", 0, lambda: settings() + ACK +
     frame(5, 4, 1, struct.pack(">I", 2) + hpack.Encoder().encode([(":method", "GET")])))
seed("bad-hpack", 0, lambda: settings() + ACK + frame(1, 4, 1, b"\x80"))
seed("cl-mismatch", 1, lambda: settings() + ACK +
     hdrs(1, [(":status", "200"), ("content-length", "10")]) + data(1, b"short", True) +
     resp(3))
seed("redirect", 0, lambda: settings() + ACK +
     hdrs(1, [(":status", "302"), ("location", "/elsewhere")], end=True))
seed("not-settings-first", 0, lambda: resp(1))

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, b in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(b)
