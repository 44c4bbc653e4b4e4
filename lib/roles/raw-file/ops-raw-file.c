/*
 * ops-raw-file.c: the raw file role: any adopted fd that is not a socket (pipe,
 * tty, character device, regular file). Loom reads it and hands the bytes over;
 * end of file closes the conn once pending output is written.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"

static int
raw_file_handle_pollin(struct loom_pt *pt, struct loom_conn *conn)
{
	size_t len = pt->serv_buf_size;
	int n;

	if (conn->flags & (LCF_RX_PAUSED | LCF_PEER_EOF | LCF_CLOSING))
		return LOOM_HP_OK;
	if (conn->protocol && conn->protocol->rx_buffer_size &&
	    conn->protocol->rx_buffer_size < len)
		len = conn->protocol->rx_buffer_size;

	n = loom__conn_read(conn, pt->serv_buf, len);
	if (n > 0) {
		if (loom__user_callback(conn, LOOM_CB_RAW_RX_FILE, pt->serv_buf,
					(size_t)n))
			return loom__close(conn, LOOM_CLOSE_NORMAL, "rx callback asked");
		return LOOM_HP_OK;
	}
	if (!n)
		return loom__role_rx_eof(conn);
	if (loom__plat_errno_is_again(errno))
		return LOOM_HP_OK;
	loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "read failed");

	return LOOM_HP_CLOSED;
}

const struct loom_role_ops loom_role_ops_raw_file = {
	.name = "raw-file",
	.handle_pollin = raw_file_handle_pollin,
	.handle_pollout = loom__role_pollout_flush,
	.perform_user_pollout = loom__role_user_pollout,
	.adoption_cb = { LOOM_CB_RAW_ADOPT_FILE, LOOM_CB_RAW_ADOPT_FILE },
	.rx_cb = { LOOM_CB_RAW_RX_FILE, LOOM_CB_RAW_RX_FILE },
	.writeable_cb = { LOOM_CB_RAW_WRITEABLE_FILE, LOOM_CB_RAW_WRITEABLE_FILE },
	.close_cb = { LOOM_CB_RAW_CLOSE_FILE, LOOM_CB_RAW_CLOSE_FILE },
	.counted = 1,
};
