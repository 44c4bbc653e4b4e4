#!/usr/bin/python3
# client-hostile.py: an HTTP/2 server (python3-h2, plus raw frames where h2 would
# refuse to misbehave) whose answer depends on the request's path, to test Loom's
# h2 client against broken and hostile servers. Listens on 127.0.0.1, port picked
# by the system, prints "listening on PORT" to stderr, serves until killed.
import socket
import struct
import sys
import threading

import h2.config
import h2.connection
import h2.events


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid) + payload


DATA, HEADERS, RST, SETTINGS, PUSH, PING, GOAWAY, WINUPD, CONT = 0, 1, 3, 4, 5, 6, 7, 8, 9
END_STREAM, END_HEADERS = 1, 4


def respond(conn, sid, body=b"ok", extra=()):
    conn.send_headers(sid, [(":status", "200"), ("content-length", str(len(body)))] +
                      list(extra))
    conn.send_data(sid, body, end_stream=True)


def act(sock, conn, sid, path):
    """returns raw bytes to send after h2's own output"""
    if path == "/ok":
        respond(conn, sid)
    elif path == "/trailers":
        conn.send_headers(sid, [(":status", "200")])
        conn.send_data(sid, b"ok")
        conn.send_headers(sid, [("x-trailer", "yes")], end_stream=True)
    elif path == "/continuation":
        # the head split over HEADERS (empty fragment) and CONTINUATION; :status
        # 200 is static index 8 (no dynamic table state touched)
        return frame(HEADERS, 0, sid) + frame(CONT, END_HEADERS, sid, b"\x88") + \
            frame(DATA, END_STREAM, sid, b"ok")
    elif path == "/goaway-after":
        respond(conn, sid)
        conn.close_connection(last_stream_id=sid)
    elif path == "/goaway-first":
        # not processed: the client may retry elsewhere, then gives up
        conn.close_connection(last_stream_id=0)
    elif path == "/rst":
        conn.reset_stream(sid, error_code=2)
    elif path == "/rst-some":
        if sid == 3:
            conn.reset_stream(sid, error_code=2)
        else:
            respond(conn, sid)
    elif path == "/refuse-once":
        # REFUSED_STREAM: not processed, the client may send it again
        if sid == 1:
            conn.reset_stream(sid, error_code=7)
        else:
            respond(conn, sid)
    elif path == "/refuse-always":
        conn.reset_stream(sid, error_code=7)
    elif path == "/oversize":
        conn.send_headers(sid, [(":status", "200")])
        return frame(DATA, 0, sid, b"x" * 20000)
    elif path == "/badhpack":
        return frame(HEADERS, END_HEADERS, sid, b"\x80")
    elif path == "/winoverflow":
        respond(conn, sid, b"x" * 10)
        return frame(WINUPD, 0, 0, struct.pack(">I", 0x7fffffff))
    elif path == "/streamwin":
        conn.send_headers(sid, [(":status", "200")])
        return frame(WINUPD, 0, sid, struct.pack(">I", 0x7fffffff))
    elif path == "/overrun":
        conn.send_headers(sid, [(":status", "200")])
        return b"".join(frame(DATA, 0, sid, b"y" * 16384) for _ in range(5))
    elif path == "/data-first":
        return frame(DATA, END_STREAM, sid, b"early")
    elif path == "/cl-short":
        conn.send_headers(sid, [(":status", "200"), ("content-length", "10")])
        conn.send_data(sid, b"12345", end_stream=True)
    elif path == "/push":
        return frame(PUSH, END_HEADERS, sid, struct.pack(">I", 2) + b"\x82\x84\x86")
    elif path == "/even-headers":
        return frame(HEADERS, END_HEADERS | END_STREAM, 2, b"\x88")
    elif path == "/silent":
        pass    # never answers: the client's timeout ends it
    else:
        conn.send_headers(sid, [(":status", "404")], end_stream=True)
    return b""


class ClientFrames:
    """what the client sends, read beside h2 (which keeps some of it to itself):
    RST_STREAMs and the connection's WINDOW_UPDATE credit"""
    def __init__(self):
        self.buf = b""
        self.preface = 24
        self.rst = []           # (sid, code)
        self.wu0 = 0

    def feed(self, data):
        self.buf += data
        if self.preface:
            k = min(self.preface, len(self.buf))
            self.buf = self.buf[k:]
            self.preface -= k
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + n:
                break
            t = self.buf[3]
            sid = int.from_bytes(self.buf[5:9], "big") & 0x7fffffff
            p = self.buf[9:9 + n]
            self.buf = self.buf[9 + n:]
            if t == RST and n == 4:
                self.rst.append((sid, struct.unpack(">I", p)[0]))
            elif t == WINUPD and sid == 0 and n == 4:
                self.wu0 += struct.unpack(">I", p)[0] & 0x7fffffff


def late_data(conn, st, ev):
    """/late-data, asked twice at once: the first stream gets a window overflow,
    so the client resets it (FLOW_CONTROL_ERROR); then a connection window of
    DATA on it, as if sent before the reset was seen. The client must drop it
    without a RST_STREAM (RFC 9113 5.1) and give the window back; the second
    stream's answer says whether it did: 200 "ok", else 500."""
    raw = b""
    if isinstance(ev, h2.events.RequestReceived):
        if "a" not in st:
            st["a"] = ev.stream_id
            conn.send_headers(ev.stream_id, [(":status", "200")])
            raw = frame(WINUPD, 0, ev.stream_id, struct.pack(">I", 0x7fffffff))
            conn.ping(b"late-dt1")
        else:
            st["b"] = ev.stream_id
    elif isinstance(ev, h2.events.PingAckReceived) and ev.ping_data == b"late-dt1":
        win = max(conn.remote_settings.initial_window_size, 65535)
        st["win"] = win
        st["wu0"] = st["scan"].wu0
        while win:
            n = min(win, 16384)
            raw += frame(DATA, 0, st["a"], b"l" * n)
            win -= n
        conn.ping(b"late-dt2")
    elif isinstance(ev, h2.events.PingAckReceived) and ev.ping_data == b"late-dt2":
        conn.ping(b"late-dt3")     # the window may be given back after the ACK
        st["wait"] = True
    elif isinstance(ev, h2.events.PingAckReceived) and ev.ping_data == b"late-dt3":
        if st.pop("wait", None):
            late_data_answer(conn, st)
    return raw


def late_data_answer(conn, st):
    bad = [c for sid, c in st["scan"].rst if sid == st["a"] and c == 5]
    given = st["scan"].wu0 - st["wu0"]
    print("late-data: RST_STREAM(STREAM_CLOSED) %d, window given back %d of %d" %
          (len(bad), given, st["win"]), file=sys.stderr, flush=True)
    if not bad and given >= st["win"] // 2:
        respond(conn, st["b"])
    else:
        conn.send_headers(st["b"], [(":status", "500")], end_stream=True)


def serve(sock):
    cfg = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
    conn = h2.connection.H2Connection(config=cfg)
    conn.initiate_connection()
    st = {"scan": ClientFrames()}
    try:
        sock.sendall(conn.data_to_send())
        while True:
            data = sock.recv(65536)
            if not data:
                break
            st["scan"].feed(data)
            try:
                events = conn.receive_data(data)
            except Exception:
                break
            raw = b""
            if st.get("wait") and st["scan"].wu0 - st["wu0"] >= st["win"] // 2:
                del st["wait"]
                late_data_answer(conn, st)
            for ev in events:
                if isinstance(ev, h2.events.RequestReceived) and \
                        dict(ev.headers).get(":path") == "/late-data":
                    raw += late_data(conn, st, ev)
                elif isinstance(ev, h2.events.PingAckReceived) and "a" in st:
                    raw += late_data(conn, st, ev)
                elif isinstance(ev, h2.events.RequestReceived):
                    path = dict(ev.headers).get(":path", "/")
                    raw += act(sock, conn, ev.stream_id, path)
                elif isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(ev.flow_controlled_length,
                                                   ev.stream_id)
            sock.sendall(conn.data_to_send() + raw)
    except OSError:
        pass
    finally:
        sock.close()


def main():
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    print("listening on %d" % ls.getsockname()[1], file=sys.stderr, flush=True)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve, args=(s,), daemon=True).start()


main()
