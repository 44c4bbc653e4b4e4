#!/usr/bin/python3
"""with-dnsmasq.py CMD [ARGS...]: start dnsmasq on 127.0.0.1 at a free port with the
test zone below, run CMD with LOOM_TEST_DNS=127.0.0.1:PORT in its environment, stop
dnsmasq by its PID, exit with CMD's status. Everything is bounded in time."""
import os, signal, socket, struct, subprocess, sys, tempfile, time

DNSMASQ = "/usr/sbin/dnsmasq"
ZONE = [
    "local=/loom.test/",            # unknown names under loom.test: NXDOMAIN
    "local=/invalid/",
    "host-record=a.loom.test,192.0.2.1",
    "host-record=v6.loom.test,2001:db8::1",
    "host-record=both.loom.test,192.0.2.10,2001:db8::10",
    "cname=www.loom.test,mid.loom.test",
    "cname=mid.loom.test,a.loom.test",
    "host-record=local.loom.test,127.0.0.1",
    "host-record=he.loom.test,127.0.0.1,::1",
] + ["host-record=big.loom.test,10.0.%d.%d" % (n // 200, n % 200 + 1)
     for n in range(60)]


def free_port():
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise SystemExit("no free port")


def answers(port):
    q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    q += b"\x01a\x04loom\x04test\x00" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    try:
        s.sendto(q, ("127.0.0.1", port))
        return len(s.recv(512)) > 12
    except OSError:
        return False
    finally:
        s.close()


def main():
    if not os.access(DNSMASQ, os.X_OK):
        print("FAIL: %s missing (Debian package dnsmasq-base)" % DNSMASQ)
        return 1
    tmp = tempfile.mkdtemp(prefix="loom-dnsmasq-")
    for attempt in range(3):
        port = free_port()
        conf = os.path.join(tmp, "dnsmasq.conf")
        with open(conf, "w") as f:
            f.write("\n".join(["port=%d" % port, "listen-address=127.0.0.1",
                               "bind-interfaces", "no-resolv", "no-hosts",
                               "no-poll", "user=root", "log-queries", "local-ttl=60",
                               "log-facility=" + os.path.join(tmp, "log")] + ZONE) + "\n")
        proc = subprocess.Popen([DNSMASQ, "-k", "-C", conf,
                                 "--pid-file=" + os.path.join(tmp, "pid")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        end = time.time() + 5
        while time.time() < end and proc.poll() is None and not answers(port):
            time.sleep(0.05)
        if proc.poll() is None and answers(port):
            break
        proc.kill()
        proc.wait()
        print("dnsmasq did not start on port %d: %s" % (port, proc.stderr.read()))
    else:
        return 1
    env = dict(os.environ, LOOM_TEST_DNS="127.0.0.1:%d" % port,
               LOOM_TEST_DNS_PORT=str(port))
    print("dnsmasq pid %d on 127.0.0.1:%d" % (proc.pid, port), flush=True)
    try:
        rc = subprocess.run(sys.argv[1:], env=env, timeout=120).returncode
    except subprocess.TimeoutExpired:
        print("FAIL: %s timed out" % sys.argv[1])
        rc = 1
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if rc and os.path.exists(os.path.join(tmp, "log")):
            sys.stdout.write(open(os.path.join(tmp, "log")).read()[-3000:])
        subprocess.run(["rm", "-rf", tmp])
    return rc


if __name__ == "__main__":
    sys.exit(main())
