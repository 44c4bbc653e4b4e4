/*
 * minimal-http-server-form-post: read HTML form posts, urlencoded or multipart
 * with file uploads, in bounded memory. Written to CC0 / public domain.
 *
 *   minimal-http-server-form-post [-p PORT] [-d LOGMASK]
 *
 * GET / gives a form. POST /upload parses the body as it arrives with a
 * loom_form: text fields are kept (small), file parts are streamed through the
 * callback and only counted and checksummed, never held. The answer lists what
 * came: "field text=hello" and "file f name=a.bin bytes=N sum=S" lines.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char page[] =
	"<!doctype html><html><body>"
	"<form method=post action=/upload enctype=multipart/form-data>"
	"<input name=text value=hello> <input type=file name=f>"
	"<button>Send</button></form></body></html>\n";

struct pss {
	struct loom_form *form;
	char report[2048];
	size_t report_len;
	uint64_t file_bytes;
	uint32_t file_sum;
};

static struct loom_context *context;

static void
report(struct pss *pss, const char *fmt, const char *a, const char *b,
       unsigned long long n, unsigned long s)
{
	int r = snprintf(pss->report + pss->report_len,
			 sizeof(pss->report) - pss->report_len, fmt, a, b, n, s);

	if (r > 0 && pss->report_len + (size_t)r < sizeof(pss->report))
		pss->report_len += (size_t)r;
}

/* every field of the form, as the body arrives */
static int
form_cb(void *user, enum loom_form_event ev, const struct loom_form_field *f,
	const uint8_t *data, size_t len)
{
	struct pss *pss = user;
	size_t n;

	if (!f->filename)
		return 0;	/* text fields are kept by the form: read them at the end */
	switch (ev) {
	case LOOM_FORM_FIELD_START:
		pss->file_bytes = 0;
		pss->file_sum = 0;
		break;
	case LOOM_FORM_FIELD_DATA:
		/* a real app would write the piece to a file here */
		for (n = 0; n < len; n++)
			pss->file_sum = pss->file_sum * 31 + data[n];
		pss->file_bytes += len;
		break;
	case LOOM_FORM_FIELD_END:
		report(pss, "file %s name=%s bytes=%llu sum=%lu\n", f->name, f->filename,
		       (unsigned long long)pss->file_bytes, (unsigned long)pss->file_sum);
		break;
	}

	return 0;
}

static int
callback_form(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	struct pss *pss = user;
	struct loom_form_info fi;
	char ctype[256], text[128];
	int r;

	switch (reason) {
	case LOOM_CB_HTTP:
		if (!strcmp(in, "/"))
			return loom_http_respond_simple(conn, 200, "text/html", page,
							sizeof(page) - 1);
		if (strcmp(in, "/upload") || loom_http_method(conn) != LOOM_HTTP_METHOD_POST)
			return loom_http_respond_simple(conn, 404, "text/plain",
							"not here\n", 9);
		memset(&fi, 0, sizeof(fi));
		if (loom_hdr_copy(conn, ctype, sizeof(ctype), LOOM_HDR_CONTENT_TYPE) < 0)
			ctype[0] = '\0';
		fi.content_type = ctype;
		fi.cb = form_cb;
		fi.user = pss;
		fi.store_len = 4096;	/* room for the text fields */
		pss->report_len = 0;
		pss->form = loom_form_create(&fi);
		if (!pss->form)
			return loom_http_respond_simple(conn, 415, "text/plain",
							"not a form\n", 11);
		break;

	case LOOM_CB_HTTP_BODY:
		if (pss->form && loom_form_feed(pss->form, in, len)) {
			loom_form_destroy(pss->form);
			pss->form = NULL;
			return loom_http_respond_simple(conn, 400, "text/plain",
							"bad form\n", 9);
		}
		break;

	case LOOM_CB_HTTP_BODY_COMPLETION:
		if (!pss->form)
			break;
		r = loom_form_finish(pss->form);
		if (!r && loom_form_get(pss->form, "text", text, sizeof(text)) >= 0)
			report(pss, "field %s=%s\n", "text", text, 0, 0);
		loom_form_destroy(pss->form);
		pss->form = NULL;
		if (r)
			return loom_http_respond_simple(conn, 400, "text/plain",
							"bad form\n", 9);
		return loom_http_respond_simple(conn, 200, "text/plain", pss->report,
						pss->report_len);

	case LOOM_CB_CLOSED_HTTP:
		loom_form_destroy(pss->form);
		pss->form = NULL;
		break;

	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "form", callback_form, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
sigint_handler(int sig)
{
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_http_vhost_info hinfo;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;
	int n, port = 7681;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
	}
	memset(&info, 0, sizeof(info));
	memset(&hinfo, 0, sizeof(hinfo));
	memset(&vinfo, 0, sizeof(vinfo));
	hinfo.max_body = 100 * 1024 * 1024;	/* uploads up to 100 MB */
	vinfo.port = port;
	vinfo.protocols = protocols;
	vinfo.http = &hinfo;
	context = loom_create_context(&info);
	if (!context)
		return 1;
	vh = loom_create_vhost(context, &vinfo);
	if (!vh) {
		loom_context_destroy(context);
		return 1;
	}
	fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));
	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);
	loom_run(context, 0);
	loom_context_destroy(context);

	return 0;
}
