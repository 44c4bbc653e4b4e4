/*
 * mqtt.h: the MQTT 3.1.1 and 5.0 client role. A client connection made with
 * loom_client_connect() and ci.mqtt set speaks MQTT: CONNECT/CONNACK, PUBLISH at QoS
 * 0, 1 and 2 both ways, SUBSCRIBE/UNSUBSCRIBE, keepalive; plus helpers (topic filter
 * matching, reason codes to text) that need no connection.
 */
#ifndef LOOM_MQTT_H
#define LOOM_MQTT_H

/** \defgroup mqtt MQTT client
 * @{ */

/** protocol levels for loom_mqtt_client_info.protocol_version */
#define LOOM_MQTT_V311	4	/**< MQTT 3.1.1 (the default) */
#define LOOM_MQTT_V5	5	/**< MQTT 5.0 */

/** a user property (MQTT 5): a UTF-8 name and value pair */
struct loom_mqtt_user_property {
	const char *name;	/**< UTF-8, NUL-terminated */
	const char *value;	/**< UTF-8, NUL-terminated */
};

struct loom_mqtt_session;

/**
 * struct loom_mqtt_client_info - how to CONNECT; zero it first, then point
 * loom_client_connect_info.mqtt at it. It is copied: it need not outlive the call.
 */
struct loom_mqtt_client_info {
	const char *client_id;		/**< "" or NULL lets the server assign one */
	const char *username;		/**< NULL = none */
	const char *password;		/**< NULL = none (binary: use password_len) */
	size_t password_len;		/**< 0 = strlen(password) */
	uint16_t keep_alive;		/**< seconds; 0 = no keepalive */
	uint8_t protocol_version;	/**< LOOM_MQTT_V311 (0 means this) or LOOM_MQTT_V5 */
	uint8_t clean_start;		/**< clean session (3.1.1) / clean start (5) */

	const char *will_topic;		/**< NULL = no will */
	const void *will_payload;	/**< the will message */
	size_t will_payload_len;	/**< its length */
	uint8_t will_qos;		/**< 0, 1 or 2 */
	uint8_t will_retain;		/**< the will is retained */
	uint32_t will_delay_interval;	/**< MQTT 5: seconds before the will goes */

	/* MQTT 5 CONNECT properties (ignored for 3.1.1) */
	uint32_t session_expiry_interval;/**< seconds the session outlives us */
	uint16_t receive_maximum;	/**< QoS 1/2 publishes in flight towards us; 0 = 32 */
	uint32_t maximum_packet_size;	/**< largest packet we take; 0 = 256 KiB */
	uint16_t topic_alias_maximum;	/**< topic aliases the server may use; 0 = none */
	const struct loom_mqtt_user_property *user_properties;	/**< CONNECT's */
	unsigned int count_user_properties;	/**< entries in user_properties */

	/** QoS 1/2 publishes we keep in flight at most (the server's receive maximum
	 * lowers it); 0 = 16 */
	uint16_t inflight_max;
	/** close when PINGRESP is not in after this many ms; 0 = the keep alive */
	unsigned int pingresp_timeout_ms;
	/** a session from loom_mqtt_session_create() to carry unacknowledged messages
	 * over to the next connection; NULL = one that lives as long as this conn */
	struct loom_mqtt_session *session;
	/** MQTT 5: give outgoing PUBLISHes topic aliases when the server allows them */
	uint8_t use_topic_alias;
};

/**
 * struct loom_mqtt_publish_info - an outgoing PUBLISH (copied before the call returns)
 */
struct loom_mqtt_publish_info {
	const char *topic;		/**< topic name, no wildcards */
	const void *payload;		/**< the message */
	size_t payload_len;		/**< its length */
	uint8_t qos;			/**< 0, 1 or 2 */
	uint8_t retain;			/**< ask the server to retain it */
	/** MQTT 5: user properties to send */
	const struct loom_mqtt_user_property *user_properties;
	unsigned int count_user_properties;	/**< entries in user_properties */
	uint32_t message_expiry_interval;/**< seconds; 0 = none */
};

/** one topic of a SUBSCRIBE or UNSUBSCRIBE */
struct loom_mqtt_topic {
	const char *filter;		/**< topic filter; '+' and '#' allowed */
	uint8_t qos;			/**< maximum QoS wanted (SUBSCRIBE) */
	uint8_t no_local;		/**< MQTT 5: not our own publishes back */
	uint8_t retain_as_published;	/**< MQTT 5 */
	uint8_t retain_handling;	/**< MQTT 5: 0 send, 1 only if new, 2 never */
};

/**
 * struct loom_mqtt_message - \p in of LOOM_CB_MQTT_CLIENT_RX: a received PUBLISH,
 * whole. Pointers are valid during the callback only; topic and payload are not
 * NUL-terminated.
 */
struct loom_mqtt_message {
	const char *topic;		/**< the topic name */
	size_t topic_len;		/**< its length */
	const uint8_t *payload;		/**< the message */
	size_t payload_len;		/**< its length */
	uint16_t packet_id;		/**< 0 for QoS 0 */
	uint8_t qos;			/**< 0, 1 or 2 */
	uint8_t retain;			/**< it was a retained message */
	uint8_t dup;			/**< the server says it may be a resend */
	/** MQTT 5: raw property bytes, for loom_mqtt_user_property_next() */
	const uint8_t *props;
	size_t props_len;		/**< their length */
};

/**
 * struct loom_mqtt_ack - \p in of LOOM_CB_MQTT_ACK, _SUBSCRIBED, _UNSUBSCRIBED
 *
 * For ACK: the packet id loom_mqtt_publish() returned, one reason code (0 or 0x10
 * is success, >= 0x80 the server refused it). For SUBSCRIBED/UNSUBSCRIBED: one
 * reason code per topic, in order (SUBACK: the granted QoS 0..2 or >= 0x80; 3.1.1
 * UNSUBACK carries none: all are reported 0).
 */
struct loom_mqtt_ack {
	uint16_t packet_id;		/**< the packet the ack is for */
	unsigned int count;		/**< reason codes in \p reasons */
	const uint8_t *reasons;		/**< the reason codes */
	const char *reason_string;	/**< MQTT 5 reason string (not NUL-terminated) */
	size_t reason_string_len;	/**< its length */
};

/**
 * loom_mqtt_session_create() - a session that outlives connections
 *
 * Give it in loom_mqtt_client_info.session. QoS 1 and 2 messages not yet
 * acknowledged when the connection drops stay in it; the next connection made with
 * the same session and clean_start 0 sends them again with DUP set once CONNACK is
 * in (PUBRELs too). Packet ids keep counting. A session serves one connection at a
 * time. Returns NULL when out of memory.
 */
struct loom_mqtt_session *
loom_mqtt_session_create(void);
/** loom_mqtt_session_destroy() - free a session (not while a connection uses it) */
void
loom_mqtt_session_destroy(struct loom_mqtt_session *s);
/** loom_mqtt_session_inflight() - QoS 1/2 publishes the session holds unacknowledged */
unsigned int
loom_mqtt_session_inflight(const struct loom_mqtt_session *s);

/**
 * loom_mqtt_publish() - send a PUBLISH
 *
 * Call it once the connection is established (from any callback of that conn, or
 * from the service thread). Returns the packet id (1..65535) for QoS 1 and 2, whose
 * delivery LOOM_CB_MQTT_ACK reports, 0 for QoS 0, or LOOM_EBUSY when the in-flight
 * window is full or too much output is held (wait for LOOM_CB_MQTT_ACK or ask for
 * LOOM_CB_MQTT_CLIENT_WRITEABLE), LOOM_EINVAL for a bad topic or QoS, LOOM_ELIMIT
 * for a packet over the server's maximum packet size, LOOM_ECLOSED.
 */
int
loom_mqtt_publish(struct loom_conn *conn, const struct loom_mqtt_publish_info *pub);

/**
 * loom_mqtt_subscribe() - SUBSCRIBE to \p count topic filters in one packet
 *
 * Returns the packet id; LOOM_CB_MQTT_SUBSCRIBED brings one result per topic.
 */
int
loom_mqtt_subscribe(struct loom_conn *conn, const struct loom_mqtt_topic *topics,
		    unsigned int count);

/** loom_mqtt_unsubscribe() - UNSUBSCRIBE; only \p filter of each topic is used.
 * Returns the packet id; LOOM_CB_MQTT_UNSUBSCRIBED brings the results. */
int
loom_mqtt_unsubscribe(struct loom_conn *conn, const struct loom_mqtt_topic *topics,
		      unsigned int count);

/**
 * loom_mqtt_disconnect() - a clean DISCONNECT (the will is dropped), then close
 *
 * \p reason is an MQTT 5 reason code (0 normal; 4 "with will message" keeps the
 * will); 3.1.1 sends none.
 */
int
loom_mqtt_disconnect(struct loom_conn *conn, uint8_t reason);

/**
 * loom_mqtt_topic_match() - does topic name \p topic match topic filter \p filter?
 *
 * '+' matches one level, '#' (last) any number of levels including none; a filter
 * starting with a wildcard does not match topics that start with '$'. Returns 1 or 0
 * (0 too for a malformed filter).
 */
int
loom_mqtt_topic_match(const char *filter, const char *topic, size_t topic_len);

/** loom_mqtt_topic_filter_valid() - 1 when \p filter is a well-formed topic filter */
int
loom_mqtt_topic_filter_valid(const char *filter);

/** loom_mqtt_reason_text() - a short text for an MQTT 5 reason code
 * ("not authorized"); 3.1.1 CONNACK codes are mapped to the same texts */
const char *
loom_mqtt_reason_text(uint8_t reason);

/**
 * loom_mqtt_user_property_next() - walk the user properties of a received message
 *
 * \p cursor starts at 0. Returns 1 with name and value (not NUL-terminated) set, or
 * 0 when there are no more.
 */
int
loom_mqtt_user_property_next(const struct loom_mqtt_message *m, size_t *cursor,
			     const char **name, size_t *name_len,
			     const char **value, size_t *value_len);

/** loom_mqtt_assigned_client_id() - the id the server assigned (MQTT 5), or NULL */
const char *
loom_mqtt_assigned_client_id(const struct loom_conn *conn);
/** @} */

#endif
