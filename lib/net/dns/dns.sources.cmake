# lib/net/dns: the DNS message codec (I/O-free), the async resolver and its cache,
# the retry/backoff helper; and the client connect's proxy handshakes beside it.
list(APPEND LOOM_SRCS
	net/dns/dns-msg.c
	net/dns/dns-resolver.c
	net/dns/dns-cache.c
	net/dns/dns-conf.c
	net/dns/retry.c
	net/proxy.c
)
