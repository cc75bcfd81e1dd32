# bare ACK 10.99.1.5:40180 -> host:8080 (no connection anywhere), then crafted
# traffic both ways; a bare ACK to port 8081 whose RST reaches conntrack.
h, c5 = "10.99.1.1", "10.99.1.5"
n = [0]
def C(flags, seq, ack=0, data=b"", dport=8080):
    n[0] += 1
    peer1.send(IP(src=c5, dst=h, id=n[0]) / TCP(sport=40180, dport=dport, flags=flags, seq=seq, ack=ack, window=8192) / data)
    sleep(0.05)
def H(flags, seq, ack=0, data=b""):
    n[0] += 1
    host.raw(IP(src=h, dst=c5, id=n[0], ttl=77) / TCP(sport=8080, dport=40180, flags=flags, seq=seq, ack=ack, window=8192) / data)
    sleep(0.05)
C("A", 3000, 6000)
C("A", 3000, 6000)             # again, still no reply
H("A", 6000, 3000)             # first reply
C("A", 3000, 6000)             # -> assured
C("PA", 3000, 6000, b"0123456789")
H("A", 6000, 3010)
H("PA", 6000, 3010, b"reply data")
C("A", 3010, 6010)
C("A", 4000, 8000, dport=8081)  # second pickup, the host's RST kills it
