# crafted tcp connection 10.99.1.5:40150 -> host:8080, windows 8192, no scaling;
# the host's crafted packets have ttl 77 (the kernel's own RSTs are dropped).
h, c5 = "10.99.1.1", "10.99.1.5"
n = [0]
def C(flags, seq, ack=0, data=b""):
    n[0] += 1
    peer1.send(IP(src=c5, dst=h, id=n[0]) / TCP(sport=40150, dport=8080, flags=flags, seq=seq % 2**32, ack=ack % 2**32, window=8192) / data)
    sleep(0.05)
def H(flags, seq, ack=0, data=b""):
    n[0] += 1
    host.raw(IP(src=h, dst=c5, id=n[0], ttl=77) / TCP(sport=8080, dport=40150, flags=flags, seq=seq % 2**32, ack=ack % 2**32, window=8192) / data)
    sleep(0.05)
C("S", 1000)
H("SA", 7000, 1001)
C("A", 1001, 7001)
C("PA", 1001, 7001, b"a" * 100)
H("A", 7001, 1101)
C("PA", 1101 + 1000000, 7001, b"b" * 100)      # far beyond the right edge: invalid
C("A", 1101, 7001 + 500000)                     # acks data the host never sent: invalid
C("PA", 1101 - 100000, 7001, b"c" * 100)       # far below the left edge: ignored, established
C("PA", 9300, 7001, b"d" * 50)                 # just beyond the right edge (1101+8192): accepted
H("A", 7001, 1101)
H("R", 7001 + 3000000, 0)                      # RST far out of window: invalid
H("R", 7001 + 100, 0)                          # RST inside the window, not the expected seq
C("A", 1101, 7001)
H("R", 7001, 0)                                 # RST with the exact seq: CLOSE
C("A", 1101, 7001)                              # after the RST
