h, c5 = "10.99.1.1", "10.99.1.5"
n = [0]
def C(sport, flags, seq, ack=0, data=b"", chksum=None):
    n[0] += 1
    t = TCP(sport=sport, dport=8080, flags=flags, seq=seq, ack=ack, window=8192)
    if chksum is not None: t.chksum = chksum
    peer1.send(IP(src=c5, dst=h, id=n[0]) / t / data)
    sleep(0.05)
def H(sport, flags, seq, ack=0, data=b""):
    n[0] += 1
    host.raw(IP(src=h, dst=c5, id=n[0], ttl=77) / TCP(sport=8080, dport=sport, flags=flags, seq=seq, ack=ack, window=8192) / data)
    sleep(0.05)
def open_(sport):
    C(sport, "S", 1000); H(sport, "SA", 7000, 1001); C(sport, "A", 1001, 7001)
# half close: client FIN, host keeps sending data (CLOSE_WAIT), FIN retransmitted, then host FIN
open_(40390)
C(40390, "FA", 1001, 7001)              # FIN_WAIT
H(40390, "A", 7001, 1002)               # CLOSE_WAIT
H(40390, "PA", 7001, 1002, b"more data after your FIN")
C(40390, "A", 1002, 7025)
C(40390, "FA", 1001, 7025)              # FIN retransmitted
H(40390, "FA", 7025, 1002)              # LAST_ACK
C(40390, "A", 1002, 7026)               # TIME_WAIT
C(40390, "A", 1002, 7026)               # ACK again in TIME_WAIT
H(40390, "R", 7026)                     # RST in TIME_WAIT: CLOSE
# FINs crossing
open_(40391)
C(40391, "FA", 1001, 7001)
H(40391, "FA", 7001, 1001)              # host FIN before acking the client's
C(40391, "A", 1002, 7002)
H(40391, "A", 7002, 1002)
# bad checksum
open_(40392)
C(40392, "PA", 1001, 7001, b"corrupt", chksum=0xbeef)
C(40392, "PA", 1001, 7001, b"correct")
