h, c5 = "10.99.1.1", "10.99.1.5"
n = [0]
def C(sport, flags, seq, ack=0, data=b"", win=1000, opts=()):
    n[0] += 1
    peer1.send(IP(src=c5, dst=h, id=n[0]) / TCP(sport=sport, dport=8080, flags=flags, seq=seq, ack=ack, window=win, options=list(opts)) / data)
    sleep(0.05)
def H(sport, flags, seq, ack=0, data=b"", win=8192, opts=()):
    n[0] += 1
    host.raw(IP(src=h, dst=c5, id=n[0], ttl=77) / TCP(sport=8080, dport=sport, flags=flags, seq=seq, ack=ack, window=win, options=list(opts)) / data)
    sleep(0.05)
ahead = 1001 + 20000
# both sides scale: client wscale 7, host wscale 2
C(40360, "S", 1000, opts=[("MSS", 1460), ("WScale", 7), ("SAckOK", b"")])
H(40360, "SA", 7000, 1001, opts=[("MSS", 1460), ("WScale", 2), ("SAckOK", b"")])
C(40360, "A", 1001, 7001)
H(40360, "A", 7001, 1001)                         # first scaled window from the host: 8192 << 2
C(40360, "PA", ahead, 7001, b"w" * 100)         # inside 8192 << 2: accepted
H(40360, "A", 7001, ahead + 100)                  # acked: 5 days again
H(40360, "A", 7001, ahead + 100, win=0)           # zero window: 300 s cap
C(40360, "A", ahead + 100, 7001)
H(40360, "A", 7001, ahead + 100, win=8192)        # window open again: 5 days
# only the client offers wscale: no scaling on either side
C(40361, "S", 1000, opts=[("MSS", 1460), ("WScale", 7)])
H(40361, "SA", 7000, 1001, opts=[("MSS", 1460)])
C(40361, "A", 1001, 7001)
H(40361, "A", 7001, 1001)                         # 8192, not scaled
C(40361, "PA", ahead, 7001, b"w" * 100)         # beyond the unscaled 8192: invalid
C(40361, "PA", 1001, 7001, b"v" * 100)           # in window
H(40361, "A", 7001, 1101)
