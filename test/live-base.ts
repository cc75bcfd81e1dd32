// The ruleset the live-engine tests start from (transaction.test.ts,
// threads.test.ts): a named set, a verdict map jumping to a chain, counters.

export const BASE = `table inet f {
	set blocked {
		type ipv4_addr
		elements = { 10.0.0.66 }
	}
	map svc {
		type inet_service : verdict
		elements = { 22 : jump ssh }
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ip saddr @blocked counter drop
		tcp dport vmap @svc
		tcp dport { 80, 443 } counter accept
		udp dport 53 accept
	}
	chain ssh {
		ip saddr 10.0.0.0/28 accept
		counter reject
	}
}
`;
