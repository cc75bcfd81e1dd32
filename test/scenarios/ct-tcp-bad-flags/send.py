# first packets with bad or non-SYN flags (each on its own source port), then a
# crafted connection 10.99.1.5:40160 -> host:8080 hit by the same flag sets.
h, c5 = "10.99.1.1", "10.99.1.5"
n = [0]
def C(flags, seq, ack=0, data=b"", sport=40160):
    n[0] += 1
    peer1.send(IP(src=c5, dst=h, id=n[0]) / TCP(sport=sport, dport=8080, flags=flags, seq=seq, ack=ack, window=8192) / data)
    sleep(0.05)
def H(flags, seq, ack=0, data=b""):
    n[0] += 1
    host.raw(IP(src=h, dst=c5, id=n[0], ttl=77) / TCP(sport=8080, dport=40160, flags=flags, seq=seq, ack=ack, window=8192) / data)
    sleep(0.05)
for i, f in enumerate(["SF", "", "FPU", "F", "SR", "SA", "FA", "R"]):
    C(f, 5000 + i, 9000 if "A" in f else 0, sport=40170 + i)
C("S", 1000)
H("SA", 7000, 1001)
C("A", 1001, 7001)
C("SF", 1001, 0)
C("", 1001, 0)
C("FPU", 1001, 0)
C("F", 1001, 0)
C("SRA", 1001, 7001)
H("SF", 7001, 0)
H("", 7001, 0)
C("PA", 1001, 7001, b"still fine")
C("FA", 1011, 7001)
H("FA", 7001, 1012)
C("A", 1012, 7002)
