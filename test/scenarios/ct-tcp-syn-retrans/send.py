# host connect()s to 10.99.1.7:80 (nobody answers: the kernel retransmits the
# SYN after ~1 s); a silent client 10.99.1.5 (crafted in peer1) sends a SYN to
# host:8080 (no listener; the host's RST is dropped at -250), the identical SYN
# 1.2 s later, a SYN with another ISN, then the host's SYN-ACK (crafted, raw
# socket through the host's output) and the client's ACK.
import socket as S
h, c5 = "10.99.1.1", "10.99.1.5"
c = host.socket(S.AF_INET, S.SOCK_STREAM)
c.setblocking(False)
c.bind((h, 40130))
try: c.connect(("10.99.1.7", 80))
except BlockingIOError: pass
sleep(0.2)
syn = IP(src=c5, dst=h, id=1) / TCP(sport=40131, dport=8080, flags="S", seq=1000, window=8192)
peer1.send(syn); sleep(1.2)
peer1.send(syn); sleep(0.1)                      # same SYN again (retransmission)
c.close()                                        # host stops retransmitting
sleep(0.1)
peer1.send(IP(src=c5, dst=h, id=2) / TCP(sport=40131, dport=8080, flags="S", seq=50000, window=8192)); sleep(0.1)
host.raw(IP(src=h, dst=c5, id=3) / TCP(sport=8080, dport=40131, flags="SA", seq=7000, ack=50001, window=8192)); sleep(0.1)
peer1.send(IP(src=c5, dst=h, id=4) / TCP(sport=40131, dport=8080, flags="A", seq=50001, ack=7001, window=8192)); sleep(0.1)
