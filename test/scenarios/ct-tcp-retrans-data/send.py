# crafted tcp connection 10.99.1.5:40140 -> host:8080 (no window scaling):
# handshake, client data (unacked), 3 identical retransmissions, host ACK,
# host data + 1 retransmission, client ACK, client resends already-acked data.
h, c5 = "10.99.1.1", "10.99.1.5"
n = [0]
def C(flags, seq, ack=0, data=b""):
    n[0] += 1
    peer1.send(IP(src=c5, dst=h, id=n[0]) / TCP(sport=40140, dport=8080, flags=flags, seq=seq, ack=ack, window=8192) / data)
    sleep(0.05)
def H(flags, seq, ack=0, data=b""):
    n[0] += 1
    host.raw(IP(src=h, dst=c5, id=n[0]) / TCP(sport=8080, dport=40140, flags=flags, seq=seq, ack=ack, window=8192) / data)
    sleep(0.05)
C("S", 1000)
H("SA", 7000, 1001)
C("A", 1001, 7001)
d = b"x" * 100
C("PA", 1001, 7001, d)          # unacked data
C("PA", 1001, 7001, d)          # retransmission 1
C("PA", 1001, 7001, d)          # 2
C("PA", 1001, 7001, d)          # 3
H("A", 7001, 1101)
r = b"y" * 50
H("PA", 7001, 1101, r)
H("PA", 7001, 1101, r)          # host retransmission
C("A", 1101, 7051)
C("PA", 1001, 7051, d)          # old data again, already acked
H("A", 7051, 1101)
