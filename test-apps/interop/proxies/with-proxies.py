#!/usr/bin/python3
"""with-proxies.py CMD [ARGS...]: start connect-proxy.py and socks5-proxy.py on
free 127.0.0.1 ports (each also once more with --auth user:secret), run CMD with
LOOM_TEST_HTTP_PROXY, LOOM_TEST_SOCKS_PROXY, LOOM_TEST_HTTP_PROXY_AUTH and
LOOM_TEST_SOCKS_PROXY_AUTH set to their host:port, then stop them by PID."""
import os, re, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))


def start(script, *args):
    p = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, script)] + list(args),
                         stderr=subprocess.PIPE, text=True)
    end = time.time() + 10
    while time.time() < end:
        line = p.stderr.readline()
        m = re.match(r"listening on (\d+)", line)
        if m:
            return p, "127.0.0.1:" + m.group(1)
    p.kill()
    raise SystemExit("FAIL: %s did not start" % script)


def main():
    procs = []
    env = dict(os.environ)
    try:
        for var, script, args in (
                ("LOOM_TEST_HTTP_PROXY", "connect-proxy.py", []),
                ("LOOM_TEST_SOCKS_PROXY", "socks5-proxy.py", []),
                ("LOOM_TEST_HTTP_PROXY_AUTH", "connect-proxy.py", ["--auth", "user:secret"]),
                ("LOOM_TEST_SOCKS_PROXY_AUTH", "socks5-proxy.py", ["--auth", "user:secret"])):
            p, addr = start(script, *args)
            procs.append(p)
            env[var] = addr
        print(" ".join("%s=%s" % (k, env[k]) for k in env if k.startswith("LOOM_TEST_")),
              flush=True)
        try:
            return subprocess.run(sys.argv[1:], env=env, timeout=120).returncode
        except subprocess.TimeoutExpired:
            print("FAIL: %s timed out" % sys.argv[1])
            return 1
    finally:
        for p in procs:
            p.kill()
            p.wait()


if __name__ == "__main__":
    sys.exit(main())
