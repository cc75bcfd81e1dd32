import socket as S
h, p = "10.99.1.1", "10.99.1.2"
sink = host.socket(S.AF_INET, S.SOCK_DGRAM); sink.bind((h, 6200))     # no port unreachables
sink.setsockopt(S.SOL_SOCKET, S.SO_RCVBUF, 1 << 20)
for i in range(40):                                                  # fill: 40 unreplied flows
    peer1.send(IP(src=p, dst=h, id=i + 1) / UDP(sport=41000 + i, dport=6200) / b"fill"); sleep(0.02)
sleep(0.2)
for i in range(12):                                                  # new flows with a full table
    peer1.send(IP(src=p, dst=h, id=100 + i) / UDP(sport=42000 + i, dport=6200) / b"late"); sleep(0.05)
