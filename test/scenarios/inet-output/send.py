# everything sent from inside the host namespace.
import socket as S
host.run("ping", "-c", "1", "-W", "1", "10.99.1.2")       # out eth0, reply in
sleep(0.05)
host.run("ping", "-c", "1", "-W", "1", "127.0.0.1")       # over lo
sleep(0.05)
host.run("ping", "-6", "-c", "1", "-W", "1", "fd99:1::2")
sleep(0.05)
u = host.socket(S.AF_INET, S.SOCK_DGRAM)
try:
    u.sendto(b"discard", ("10.99.1.2", 9))                # output drop (sendto gets EPERM)
except OSError:
    pass
sleep(0.05)
try:
    u.sendto(b"mdns", ("10.99.1.2", 5353))               # postrouting drop
except OSError:
    pass
sleep(0.05)
u.sendto(b"to-self", ("10.99.1.1", 7000))                 # lo: input drop
sleep(0.05)
u.sendto(b"to-self", ("10.99.1.1", 7001))                 # lo: accepted, port unreachable
sleep(0.05)
t = host.socket(S.AF_INET, S.SOCK_STREAM)
t.settimeout(1)
try:
    t.connect(("10.99.1.2", 80))                          # peer answers RST
except OSError:
    pass
t.close()
sleep(0.05)
host.raw(IP(src="10.99.1.1", dst="10.99.1.2", ttl=3, id=77) / ICMP(type=13))  # timestamp via raw socket
