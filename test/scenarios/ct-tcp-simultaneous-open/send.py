h, c5 = "10.99.1.1", "10.99.1.5"
n = [0]
def C(sport, flags, seq, ack=0):
    n[0] += 1
    peer1.send(IP(src=c5, dst=h, id=n[0]) / TCP(sport=sport, dport=8080, flags=flags, seq=seq, ack=ack, window=8192))
    sleep(0.05)
def H(sport, flags, seq, ack=0):
    n[0] += 1
    host.raw(IP(src=h, dst=c5, id=n[0], ttl=77) / TCP(sport=8080, dport=sport, flags=flags, seq=seq, ack=ack, window=8192))
    sleep(0.05)
# simultaneous open
C(40370, "S", 1000)
H(40370, "S", 7000)
C(40370, "SA", 1000, 7001)
H(40370, "SA", 7000, 1001)
C(40370, "A", 1001, 7001)
# RST from the client before any reply
C(40371, "S", 2000)
C(40371, "R", 2001)
# RST|ACK from the host: wrong ack, then the right one
C(40372, "S", 3000)
H(40372, "RA", 0, 3500)
H(40372, "RA", 0, 3001)
# SYN-ACK first
H(40373, "SA", 9000, 4001)
