# lib/secure-streams: the SS policy parser (policy/), the SS API and its states
# and retries (ss.c), and one binding per protocol (protocols/). A binding is
# built when its role is (LOOM_WITH_H1 / _WS / _MQTT; raw always).
if (LOOM_WITH_SS)
	set(_ss_defs)
	set(_ss_srcs
		secure-streams/policy/policy.c
		secure-streams/ss.c
		secure-streams/protocols/ss-raw.c
	)
	if (NOT DEFINED LOOM_WITH_H1 OR LOOM_WITH_H1)
		list(APPEND _ss_srcs secure-streams/protocols/ss-h1.c
			secure-streams/protocols/ss-h2.c
			secure-streams/ss-server.c)
		list(APPEND _ss_defs SS_WITH_H1)
	endif()
	if (NOT DEFINED LOOM_WITH_WS OR LOOM_WITH_WS)
		list(APPEND _ss_srcs secure-streams/protocols/ss-ws.c)
		list(APPEND _ss_defs SS_WITH_WS)
	endif()
	if (NOT DEFINED LOOM_WITH_MQTT OR LOOM_WITH_MQTT)
		list(APPEND _ss_srcs secure-streams/protocols/ss-mqtt.c)
		list(APPEND _ss_defs SS_WITH_MQTT)
	endif()
	set_source_files_properties(secure-streams/ss.c PROPERTIES
		COMPILE_DEFINITIONS "${_ss_defs}")
	list(APPEND LOOM_SRCS ${_ss_srcs})
endif()
