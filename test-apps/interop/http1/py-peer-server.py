#!/usr/bin/python3
# py-peer-server.py DIR: an HTTP server on 127.0.0.1 (port picked at run time,
# printed as "listening on PORT" on stderr) for client tests: files from DIR, and
# /chunked/N (N bytes in chunked coding, odd chunk sizes), /close/N (N bytes ended
# by the close, no Content-Length), /status/N (that status, short body),
# /redirect/CODE/PATH (CODE to /PATH), /redirect-abs/CODE/PATH (to an absolute
# URL of this server), /loop (a 302 to itself, forever).
import http.server
import socketserver
import sys

DATA = bytes((i * 7 + 3) & 0xff for i in range(1 << 20))


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/redirect") or self.path == "/loop":
            parts = self.path.split("/", 3)
            if self.path == "/loop":
                code, loc = 302, "/loop"
            else:
                code, loc = int(parts[2]), "/" + parts[3]
                if parts[1] == "redirect-abs":
                    loc = "http://127.0.0.1:%d%s" % (self.server.server_address[1], loc)
            self.send_response(code)
            self.send_header("Location", loc)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        parts = self.path.split("/")
        if len(parts) == 3 and parts[1] in ("chunked", "close", "status"):
            n = int(parts[2])
            if parts[1] == "status":
                self.send_response(n)
                self.send_header("Content-Length", "3")
                self.end_headers()
                self.wfile.write(b"st\n")
                return
            body = (DATA * (n // len(DATA) + 1))[:n]
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if parts[1] == "chunked":
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                i, step = 0, 1
                while i < n:
                    c = body[i:i + step]
                    self.wfile.write(b"%x;ext=1\r\n" % len(c) + c + b"\r\n")
                    i += len(c)
                    step = step * 3 + 7
                self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
            else:
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
            return
        return super().do_GET()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    root = sys.argv[1]
    srv = Server(("127.0.0.1", 0),
                 lambda *a, **k: Handler(*a, directory=root, **k))
    sys.stderr.write("listening on %d\n" % srv.server_address[1])
    sys.stderr.flush()
    srv.serve_forever()


main()
