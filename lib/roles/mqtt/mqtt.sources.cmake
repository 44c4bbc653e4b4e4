# the MQTT client role (3.1.1 and 5.0): the I/O-free packet codec, topic helpers and
# the role that glues them to a client conn (loom_client_connect() with ci.mqtt), over
# TCP, TLS or WebSocket (ws.c, on the ws room's frame parser)
list(APPEND LOOM_SRCS
	roles/mqtt/codec.c
	roles/mqtt/topic.c
	roles/mqtt/client.c
	roles/mqtt/ws.c
)
