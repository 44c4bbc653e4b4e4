#!/usr/bin/env python3
# gen-ss-mux-corpus.py DIR: write the hand-made seeds of the ss-mux fuzzer
# (fuzz-ss-mux.c) for the transport mux framing of private-ss-mux.h (version 2:
# DATA carries its u32 offset; NAK). Each seed: [mode] [max body byte] frames...
import os, struct, sys

def crc8(b):
    c = 0
    for x in b:
        c ^= x
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xff if c & 0x80 else (c << 1) & 0xff
    return c

def crc16(b):
    c = 0xffff
    for x in b:
        c ^= x << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) & 0xffff if c & 0x8000 else (c << 1) & 0xffff
    return c

def frame(ch, t, body):
    h = bytes([0x7e, ch, t, len(body) >> 8, len(body) & 0xff])
    h += bytes([crc8(h)])
    f = h + body
    return f + struct.pack(">H", crc16(f))

HELLO, PING, PONG, OPEN, OPEN_ACK, CLOSE, DATA, CREDIT, NAK = range(1, 10)
def u32(ch, t, v): return frame(ch, t, struct.pack(">I", v))
def hello(mb, sess): return frame(0, HELLO, bytes([2]) + struct.pack(">HI", mb, sess))
def data(ch, off, b): return frame(ch, DATA, struct.pack(">I", off) + b)

seeds = {
    "link": hello(256, 0xdeadbeef) + u32(0, PING, 1) + u32(0, PONG, 1),
    "channel-session": hello(256, 0xdeadbeef) + u32(1, OPEN, 4096) +
        frame(1, OPEN_ACK, bytes([0]) + struct.pack(">I", 4096)) +
        data(1, 0, b"hello") + u32(1, CREDIT, 5) + data(1, 5, b"~world~") +
        u32(1, NAK, 5) + data(1, 5, b"~world~") + u32(1, CREDIT, 12) +
        frame(1, CLOSE, bytes([3])) + frame(1, CLOSE, bytes([0])),
    "data-offsets": data(3, 0xfffffffe, b"wrap") + data(3, 2, b"x") +
        data(3, 0, b"old") + u32(3, NAK, 0),
    "data-short": frame(3, DATA, b"\0\0\0\0") + u32(0, PING, 1),
    "bad-crc": data(1, 0, b"hello~world~")[:-1] + b"\x00" + u32(0, PING, 1),
    "garbage-between": b"\x00~~\x01~" + u32(1, OPEN, 4096)[:-2] + b"\xff~~" +
        data(1, 0, b"hello~world~") + b"junk" + u32(0, PING, 2),
    "fake-header": bytes([0x7e, 9, DATA, 0, 200, crc8(bytes([0x7e, 9, DATA, 0, 200]))]) +
        hello(256, 0xdeadbeef) + u32(1, OPEN, 4096) + data(1, 0, b"after"),
    "many-channels": b"".join(data(c, c * 1000, bytes([c]) * (c % 7 + 1))
                              for c in range(1, 40)),
    "max-body": data(2, 0, b"x" * 12) + data(2, 12, b"y" * 13),
    "zero-credit": u32(1, CREDIT, 0) + u32(0, PING, 1),
}
modes = {"max-body": b"\x04\x00"}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, body in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(modes.get(name, bytes([len(name) % 10, 0x1e])) + body)
