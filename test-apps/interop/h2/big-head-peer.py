#!/usr/bin/python3
# big-head-peer.py: a python3-h2 peer for Loom's large h2 heads (HEADERS +
# CONTINUATION), h2c by prior knowledge on 127.0.0.1.
#   big-head-peer.py server [MAX_HEADER_LIST]: prints "listening on PORT" to
#     stderr; answers each request 200 with "x-got: N", N the length of its x-big
#     header (-1 if absent); with MAX_HEADER_LIST it advertises that
#     SETTINGS_MAX_HEADER_LIST_SIZE. Serves until killed.
#   big-head-peer.py client PORT: GET / from Loom, prints "x-resp N" for each
#     response header whose name starts with x-resp, and the frame types seen.
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events
import h2.settings


def serve(sock, maxlist):
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.max_inbound_frame_size = 16384
    if maxlist:
        conn.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE:
                                          maxlist})
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    while True:
        data = sock.recv(65536)
        if not data:
            return
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.RequestReceived):
                got = -1
                for n, v in ev.headers:
                    if n == b"x-big":
                        got = len(v)
                conn.send_headers(ev.stream_id, [(":status", "200"), ("x-got", str(got)),
                                                 ("content-length", "2")])
                conn.send_data(ev.stream_id, b"ok", end_stream=True)
        sock.sendall(conn.data_to_send())


def server(maxlist):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    print("listening on %d" % ls.getsockname()[1], file=sys.stderr, flush=True)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve, args=(s, maxlist), daemon=True).start()


def client(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.send_headers(1, [(":method", "GET"), (":scheme", "http"),
                          (":authority", "127.0.0.1"), (":path", "/")], end_stream=True)
    s.sendall(conn.data_to_send())
    frames, buf, done = set(), b"", False
    while not done:
        data = s.recv(65536)
        if not data:
            break
        buf += data
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                for n, v in ev.headers:
                    if n.startswith(b"x-resp"):
                        print("%s %d" % (n.decode(), len(v)))
            if isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset,
                               h2.events.ConnectionTerminated)):
                done = True
        s.sendall(conn.data_to_send())
    # the frame types Loom sent (after the 9-byte headers), by walking the bytes
    o = 0
    while o + 9 <= len(buf):
        ln = int.from_bytes(buf[o:o + 3], "big")
        frames.add(buf[o + 3])
        o += 9 + ln
    print("frames " + " ".join(str(f) for f in sorted(frames)))


if sys.argv[1] == "server":
    server(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
else:
    client(int(sys.argv[2]))
