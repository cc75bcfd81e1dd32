import socket as S
h, p, s7, c5 = "10.99.1.1", "10.99.1.2", "10.99.1.7", "10.99.1.5"
c = host.socket(S.AF_INET, S.SOCK_STREAM); c.setblocking(False); c.bind((h, 40230))
try: c.connect((s7, 80))
except BlockingIOError: pass
sleep(0.1)
q = bytes(IP(src=h, dst=s7, id=77, flags="DF") / TCP(sport=40230, dport=80, flags="S", seq=123456, window=64240))
peer1.send(IP(src=p, dst=h, id=1) / ICMP(type=3, code=1) / q); sleep(0.05)          # related
peer1.send(IP(src=p, dst=h, id=2) / ICMP(type=11, code=0) / q[:28]); sleep(0.05)    # 8 bytes of tcp: related
peer1.send(IP(src=p, dst="10.99.1.9", id=3) / ICMP(type=3, code=1) / q); sleep(0.05)  # outer daddr differs: invalid
c.close(); sleep(0.05)
# crafted established flow 10.99.1.5:40231 -> host:8080
n = [10]
def C(flags, seq, ack=0, data=b""):
    n[0] += 1
    peer1.send(IP(src=c5, dst=h, id=n[0]) / TCP(sport=40231, dport=8080, flags=flags, seq=seq, ack=ack, window=8192) / data)
    sleep(0.05)
def H(flags, seq, ack=0, data=b""):
    n[0] += 1
    host.raw(IP(src=h, dst=c5, id=n[0], ttl=77) / TCP(sport=8080, dport=40231, flags=flags, seq=seq, ack=ack, window=8192) / data)
    sleep(0.05)
C("S", 1000); H("SA", 7000, 1001); C("A", 1001, 7001)
big = IP(src=h, dst=c5, id=50, flags="DF") / TCP(sport=8080, dport=40231, flags="PA", seq=7001, ack=1001, window=8192) / (b"z" * 1400)
peer1.send(IP(src=p, dst=h, id=20) / ICMP(type=3, code=4, nexthopmtu=1280) / bytes(big)[:548]); sleep(0.05)   # frag needed: related
cq = IP(src=c5, dst=h, id=51) / TCP(sport=40231, dport=8080, flags="A", seq=1001, ack=7001, window=8192)
host.raw(IP(src=h, dst=c5, id=21, ttl=77) / ICMP(type=3, code=13) / bytes(cq)); sleep(0.05)            # host sends an error: related
# ipv6 SYN to a silent address, icmpv6 address unreachable from peer1
c6 = host.socket(S.AF_INET6, S.SOCK_STREAM); c6.setblocking(False); c6.bind(("fd99:1::1", 40232))
try: c6.connect(("fd99:1::7", 80))
except BlockingIOError: pass
sleep(0.1)
q6 = IPv6(src="fd99:1::1", dst="fd99:1::7") / TCP(sport=40232, dport=80, flags="S", seq=99, window=64800)
peer1.send(IPv6(src="fd99:1::2", dst="fd99:1::1") / ICMPv6DestUnreach(code=3) / bytes(q6)); sleep(0.05)
c6.close(); sleep(0.05)
