# lib/secure-streams/proxy: the SS proxy that serves SSPC clients
# (loom_ss_proxy_create(), include/loom/ss-proxy.h)
if (LOOM_WITH_SS AND LOOM_WITH_SS_PROXY AND LOOM_PLAT_SOCKETS)
	list(APPEND LOOM_SRCS secure-streams/proxy/ss-proxy.c)
endif()
