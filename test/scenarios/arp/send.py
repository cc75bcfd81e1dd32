h, p, m = "10.99.1.1", "10.99.1.2", peer1.mac()
bc = "ff:ff:ff:ff:ff:ff"
peer1.send(Ether(src=m, dst=bc) / ARP(op=1, hwsrc=m, psrc=p, hwdst="00:00:00:00:00:00", pdst=h))   # host replies
sleep(0.05)
peer1.send(Ether(src=m, dst=bc) / ARP(op=1, hwsrc=m, psrc=p, pdst="10.99.1.99"))   # dropped (not ours anyway)
sleep(0.05)
peer1.send(Ether(src=m, dst=bc) / ARP(op=2, hwsrc=m, psrc=p, hwdst=bc, pdst=p))    # gratuitous reply
sleep(0.05)
host.run("ip", "neigh", "flush", "dev", "eth0")
host.run("ping", "-c", "1", "-W", "1", "10.99.1.2")   # host: arp request out, peer1 reply in
sleep(0.05)
peer1.send(Ether(src=m, dst=bc) / ARP(op=1, hwtype=6, hwsrc=m, psrc=p, pdst=h))   # htype 6
