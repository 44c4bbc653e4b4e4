/*
 * ops-raw-skt.c: the raw socket role: TCP, Unix stream and UDP sockets, server and
 * client, whose bytes go to and from the protocol callback unframed.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"

static size_t
raw_rx_len(const struct loom_pt *pt, const struct loom_conn *conn)
{
	size_t len = pt->serv_buf_size;

	if (conn->protocol && conn->protocol->rx_buffer_size &&
	    conn->protocol->rx_buffer_size < len)
		len = conn->protocol->rx_buffer_size;

	return len;
}

static int
raw_skt_rx(struct loom_conn *conn, uint8_t *buf, int n)
{
	int client = !!(conn->flags & LCF_CLIENT);

	if (loom__user_callback(conn, (enum loom_callback_reason)
				conn->role->rx_cb[client], buf, (size_t)n))
		return loom__close(conn, LOOM_CLOSE_NORMAL, "rx callback asked");

	return LOOM_HP_OK;
}

static int
raw_skt_handle_pollin(struct loom_pt *pt, struct loom_conn *conn)
{
	size_t len = raw_rx_len(pt, conn);
	int n;

	if (conn->flags & LCF_CONNECTING)
		return loom__connect_continue(conn);
	if (conn->flags & (LCF_RX_PAUSED | LCF_PEER_EOF | LCF_CLOSING))
		return LOOM_HP_OK;

	if (conn->flags & LCF_UDP) {
		struct loom_sockaddr from;
		int trunc;

		/* one whole datagram per RX: the whole pt buffer is offered */
		n = loom__plat_recvfrom(conn->fd, pt->serv_buf, pt->serv_buf_size, &from,
					&trunc);
		if (n < 0) {
			/* ICMP errors surface here on UDP: nothing to close */
			if (!loom__plat_errno_is_again(errno))
				loom_clog_info(conn, "udp recv: errno %d", errno);
			return LOOM_HP_OK;
		}
		if (trunc) {
			loom_clog_warn(conn, "datagram larger than the %u byte rx buffer: "
				       "dropped", pt->serv_buf_size);
			return LOOM_HP_OK;
		}
		if (!(conn->flags & LCF_CLIENT) && conn->role_data) {
			/* replies go to whoever sent last */
			memcpy(conn->role_data, &from, sizeof(from));
			conn->flags |= LCF_UDP_HAVE_PEER;
		}
		return raw_skt_rx(conn, pt->serv_buf, n);
	}

	n = loom__conn_read(conn, pt->serv_buf, len);
	if (n > 0)
		return raw_skt_rx(conn, pt->serv_buf, n);
	if (!n)
		return loom__role_rx_eof(conn);
	if (loom__plat_errno_is_again(errno))
		return LOOM_HP_OK;
	loom__close_now(conn, LOOM_CLOSE_ABNORMAL,
			errno == ECONNRESET ? "reset by peer" : "read failed");

	return LOOM_HP_CLOSED;
}

static void
raw_skt_destroy_role(struct loom_conn *conn)
{
	if (conn->flags & LCF_CONNECTING)
		loom__connect_destroy(conn);
	/* the UDP peer address */
	loom_free(conn->role_data);
	conn->role_data = NULL;
}

const struct loom_role_ops loom_role_ops_raw_skt = {
	.name = "raw-skt",
	.handle_pollin = raw_skt_handle_pollin,
	.handle_pollout = loom__role_pollout_flush,
	.perform_user_pollout = loom__role_user_pollout,
	.destroy_role = raw_skt_destroy_role,
	.adoption_cb = { LOOM_CB_RAW_ADOPT, LOOM_CB_RAW_CONNECTED },
	.rx_cb = { LOOM_CB_RAW_RX, LOOM_CB_RAW_RX },
	.writeable_cb = { LOOM_CB_RAW_WRITEABLE, LOOM_CB_RAW_WRITEABLE },
	.close_cb = { LOOM_CB_RAW_CLOSE, LOOM_CB_RAW_CLOSE },
	.counted = 1,
};
