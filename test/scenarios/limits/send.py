def u(port, n, size=20):
    return IP(src="10.99.1.2", dst="10.99.1.1", id=n) / UDP(sport=49000, dport=port) / (b"L" * size)
n = 0
for i in range(8):                 # burst: 3 (+ refill) accepted, rest dropped
    n += 1; peer1.send(u(3000, n)); sleep(0.005)
for i in range(4):                 # 250 ms apart: 1 token each at 4/s
    sleep(0.25); n += 1; peer1.send(u(3000, n))
sleep(0.3)
for i in range(6):
    n += 1; peer1.send(u(3001, n)); sleep(0.005)
for i in range(3):
    sleep(0.5); n += 1; peer1.send(u(3001, n))
sleep(0.2)
for i in range(5):                 # 300-byte payloads against 1000 bytes burst
    n += 1; peer1.send(u(3002, n, 300)); sleep(0.005)
sleep(0.5)
n += 1; peer1.send(u(3002, n, 300))
