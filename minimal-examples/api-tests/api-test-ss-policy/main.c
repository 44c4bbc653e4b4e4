/*
 * api-test-ss-policy: the Secure Streams policy parser. Every libwebsockets
 * example policy in lws-policies/ (copied unchanged) loads, and the values checked
 * here were read from those files by hand. Bad policies fail with a log line
 * naming the line and column or the key; every allocation failure on the way is
 * survived with nothing left allocated; references keep a policy alive.
 */
#include <loom.h>
#include "loom-test.h"

#include <stdlib.h>
#include <string.h>

static const char *dir;

/* ---- an allocator that counts, and fails the Nth call on request ---- */
static long live, calls, fail_at = -1;

static void *
count_realloc(void *ptr, size_t size, const char *reason)
{
	(void)reason;
	if (!size) {
		if (ptr)
			live--;
		free(ptr);
		return NULL;
	}
	if (calls++ == fail_at)
		return NULL;
	if (!ptr)
		live++;

	return realloc(ptr, size);
}

/* ---- the last error line logged ---- */
static char last_log[512];

static void
emit(int level, const char *line)
{
	if (level == LOOM_LL_ERR && !strstr(line, "ss policy: in ")) {
		strncpy(last_log, line, sizeof(last_log) - 1);
		last_log[sizeof(last_log) - 1] = '\0';
	}
}

static struct loom_ss_policy *
load(const char *name)
{
	struct loom_ss_policy *pol;
	char path[1024];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = loom_ss_policy_parse_file(path, &pol);
	if (rc)
		fprintf(stderr, "%s: rc %d: %s\n", name, rc, last_log);
	LT_CHECK_EQ(rc, 0);

	return rc ? NULL : pol;
}

static int
str_is(const char *a, const char *b)
{
	if (a && b && !strcmp(a, b))
		return 1;
	fprintf(stderr, "  got \"%s\", want \"%s\"\n", a ? a : "(null)", b ? b : "(null)");

	return 0;
}

static void
check_retry(const struct loom_ss_retry *r, const char *name, const unsigned int *bo,
	    unsigned int n, unsigned int conceal, unsigned int jit, unsigned int ping,
	    unsigned int hup)
{
	unsigned int i;

	LT_CHECK(r != NULL);
	if (!r)
		return;
	LT_CHECK(str_is(r->name, name));
	LT_CHECK_EQ(r->count_backoff, n);
	for (i = 0; i < n && i < r->count_backoff; i++)
		LT_CHECK_EQ(r->backoff_ms[i], bo[i]);
	LT_CHECK_EQ(r->conceal, conceal);
	LT_CHECK_EQ(r->jitter_pc, jit);
	LT_CHECK_EQ(r->secs_valid_ping, ping);
	LT_CHECK_EQ(r->secs_valid_hup, hup);
}

static const unsigned int bo_std[] = { 1000, 2000, 3000, 5000, 10000 };

static const struct loom_ss_stream_type *
st_get(const struct loom_ss_policy *pol, const char *name)
{
	const struct loom_ss_stream_type *st = loom_ss_policy_stream_type(pol, name);

	if (!st)
		fprintf(stderr, "no stream type %s\n", name);
	LT_CHECK(st != NULL);

	return st;
}

static const char *
ts_cert(const struct loom_ss_stream_type *st, unsigned int n)
{
	if (!st->trust_store || n >= st->trust_store->count_certs)
		return NULL;

	return st->trust_store->certs[n]->name;
}

static unsigned int
count_list(const void *first, size_t next_off)
{
	const unsigned char *e = first;
	unsigned int n = 0;

	for (; e; e = *(const unsigned char * const *)(e + next_off))
		n++;

	return n;
}

#define COUNT(l, type) count_list(l, offsetof(type, next))

static void
test_hello_world(void)
{
	struct loom_ss_policy *pol = load("client--hello_world-policy--example-policy.json");
	const struct loom_ss_stream_type *st;

	if (!pol)
		return;
	LT_CHECK(str_is(pol->release, "1"));
	LT_CHECK(str_is(pol->product, "sx-hello_world"));
	LT_CHECK_EQ(pol->schema_version, 1);
	LT_CHECK_EQ(pol->count_stream_types, 1);
	check_retry(loom_ss_policy_retry(pol, "default"), "default", bo_std, 5, 5, 20, 30, 35);
	LT_CHECK_EQ(COUNT(pol->certs, struct loom_ss_cert), 2);
	st = st_get(pol, "sx-hello_world");
	if (!st)
		goto out;
	LT_CHECK(str_is(st->endpoint, "warmcat.com"));
	LT_CHECK_EQ(st->port, 443);
	LT_CHECK_EQ(st->protocol, LOOM_SS_PROTO_H1);
	LT_CHECK(str_is(st->http_method, "GET"));
	LT_CHECK(str_is(st->http_url, "index.html"));
	LT_CHECK_EQ(st->count_metadata, 1);
	LT_CHECK(st->metadata && str_is(st->metadata->name, "ctype") &&
		 str_is(st->metadata->value, "content-type:"));
	LT_CHECK_EQ(st->flags, LOOM_SSTF_TLS | LOOM_SSTF_OPPORTUNISTIC);
	LT_CHECK(st->retry == loom_ss_policy_retry(pol, "default"));
	LT_CHECK_EQ(st->timeout_ms, 2000);
	LT_CHECK(st->trust_store && str_is(st->trust_store->name, "le_via_isrg"));
	LT_CHECK(str_is(ts_cert(st, 0), "isrg_root_x1"));
	LT_CHECK(str_is(ts_cert(st, 1), "isrg_root_x2"));
	LT_CHECK(st->trust_store && st->trust_store->count_certs == 2 &&
		 !strncmp(st->trust_store->pem, "-----BEGIN CERTIFICATE-----\nMIIFazCCA1Og", 39));
	/* isrg_root_x1 is 1391 bytes of DER (base64 of 1856 characters) */
	LT_CHECK_EQ(st->trust_store->certs[0]->der_len, 1391);
out:
	loom_ss_policy_unref(pol);
}

static void
test_binance(const char *file, const char *url, const char *cert_start)
{
	static const unsigned int bo[] = { 1000, 2000, 3000, 4000, 5000 };
	struct loom_ss_policy *pol = load(file);
	const struct loom_ss_stream_type *st;

	if (!pol)
		return;
	LT_CHECK(str_is(pol->release, "01234567"));
	LT_CHECK(str_is(pol->product, "myproduct"));
	check_retry(pol->retries, "default", bo, 5, 65535, 20, 30, 35);
	st = st_get(pol, "binance");
	if (st) {
		LT_CHECK(str_is(st->endpoint, "fstream.binance.com"));
		LT_CHECK_EQ(st->port, 443);
		LT_CHECK_EQ(st->protocol, LOOM_SS_PROTO_WS);
		LT_CHECK(str_is(st->http_url, url));
		LT_CHECK_EQ(st->flags, LOOM_SSTF_TLS | LOOM_SSTF_NAILED_UP |
				       LOOM_SSTF_WS_PRIORITIZE_READS);
		LT_CHECK(str_is(ts_cert(st, 0), "digicert_global_root"));
		LT_CHECK(!strncmp(st->trust_store->certs[0]->b64, cert_start, 16));
	}
	loom_ss_policy_unref(pol);
}

static void
test_post_and_echo(void)
{
	struct loom_ss_policy *pol = load("client--http-post--example-policy.json");
	const struct loom_ss_stream_type *st;

	if (pol) {
		LT_CHECK(str_is(pol->product, "sx-http-post"));
		st = st_get(pol, "minpost");
		if (st) {
			LT_CHECK(str_is(st->endpoint, "libwebsockets.org"));
			LT_CHECK(str_is(st->http_method, "POST"));
			LT_CHECK(str_is(st->http_url, "testserver/formtest"));
			LT_CHECK(str_is(st->metadata->value, "Content-Type:"));
			LT_CHECK_EQ(st->flags, LOOM_SSTF_TLS | LOOM_SSTF_OPPORTUNISTIC |
					       LOOM_SSTF_ALLOW_REDIRECTS);
		}
		loom_ss_policy_unref(pol);
	}
	pol = load("client--ws-echo--example-policy.json");
	if (pol) {
		st = st_get(pol, "sx_ws_echo");
		if (st) {
			LT_CHECK_EQ(st->protocol, LOOM_SS_PROTO_WS);
			LT_CHECK(str_is(st->ws_subprotocol, "lws-mirror-protocol"));
			LT_CHECK(str_is(st->http_url, ""));
			LT_CHECK_EQ(st->flags, LOOM_SSTF_TLS | LOOM_SSTF_NAILED_UP |
				    LOOM_SSTF_WS_BINARY | LOOM_SSTF_ALLOW_REDIRECTS);
			LT_CHECK(str_is(st->trust_store->name, "le_via_isrg"));
		}
		loom_ss_policy_unref(pol);
	}
}

static void
test_metrics_proxy(void)
{
	struct loom_ss_policy *pol =
		load("minimal-secure-streams-metrics-proxy--metrics-proxy-policy.json");
	const struct loom_ss_stream_type *st;

	if (!pol)
		return;
	check_retry(pol->retries, "default", bo_std, 5, 5, 20, 300, 310);
	LT_CHECK_EQ(pol->count_stream_types, 3);
	LT_CHECK_EQ(COUNT(pol->certs, struct loom_ss_cert), 4);
	st = st_get(pol, "mintest");
	if (st) {
		LT_CHECK_EQ(st->protocol, LOOM_SS_PROTO_H2);
		LT_CHECK(str_is(st->endpoint, "warmcat.com"));
		LT_CHECK_EQ(st->trust_store->count_certs, 1);
		LT_CHECK(str_is(ts_cert(st, 0), "isrg_root_x2"));
	}
	st = st_get(pol, "forscraper");
	if (st) {
		LT_CHECK_EQ(st->flags, LOOM_SSTF_SERVER);
		LT_CHECK_EQ(st->port, 19090);
		LT_CHECK(st->endpoint == NULL);
		LT_CHECK_EQ(st->count_metadata, 3);
		LT_CHECK(str_is(st->metadata->next->next->name, "path"));
		LT_CHECK(str_is(st->metadata->next->next->value, ""));
		LT_CHECK_EQ(st->metadata->next->next->index, 2);
	}
	st = st_get(pol, "forclients");
	if (st) {
		LT_CHECK_EQ(st->flags, LOOM_SSTF_SERVER | LOOM_SSTF_TLS);
		LT_CHECK_EQ(st->port, 19091);
		LT_CHECK(str_is(st->ws_subprotocol, "lws-metrics-proxy"));
		LT_CHECK(st->server_cert && str_is(st->server_cert->name, "self_localhost"));
		LT_CHECK(st->server_key && str_is(st->server_key->name, "self_localhost_key"));
		LT_CHECK(st->server_key_pem &&
			 !strncmp(st->server_key_pem, "-----BEGIN PRIVATE KEY-----\nMIIJQwIBADAN", 40));
	}
	loom_ss_policy_unref(pol);
}

static void
test_sigv4(void)
{
	static const unsigned int bo[] = { 100, 200, 300, 500, 1000 };
	struct loom_ss_policy *pol = load("minimal-secure-streams-sigv4--policy.json");
	const struct loom_ss_stream_type *st;
	const struct loom_ss_metadata_policy *m;

	if (!pol)
		return;
	check_retry(pol->retries, "default", bo, 5, 5, 20, 30, 35);
	LT_CHECK(pol->auths && str_is(pol->auths->name, "sigv4_br") &&
		 str_is(pol->auths->type, "sigv4") && pol->auths->blob == 0);
	st = st_get(pol, "s3PutObj");
	if (st) {
		LT_CHECK(str_is(st->endpoint, "${s3bucket}.s3.amazonaws.com"));
		LT_CHECK(str_is(st->http_method, "PUT"));
		LT_CHECK(str_is(st->http_url, "${s3Obj}"));
		LT_CHECK(!(st->flags & LOOM_SSTF_HTTP_NO_CONTENT_LENGTH));
		LT_CHECK(st->use_auth == pol->auths);
		LT_CHECK(str_is(st->aws_region, "region"));
		LT_CHECK(str_is(st->aws_service, "service"));
		LT_CHECK_EQ(st->trust_store->count_certs, 3);
		LT_CHECK(str_is(ts_cert(st, 0), "baltimore_cybertrust_root"));
		LT_CHECK(str_is(ts_cert(st, 2), "starfield_services_root_ca"));
		LT_CHECK_EQ(st->count_metadata, 8);
		for (m = st->metadata; m && m->next; m = m->next)
			;
		LT_CHECK(m && str_is(m->name, "xacl") && str_is(m->value, "x-amz-acl:"));
	}
	loom_ss_policy_unref(pol);
}

static void
test_static(void)
{
	struct loom_ss_policy *pol =
		load("minimal-secure-streams-staticpolicy--static-policy.json");
	const struct loom_ss_stream_type *st;

	if (!pol)
		return;
	LT_CHECK_EQ(pol->count_stream_types, 11);
	LT_CHECK_EQ(COUNT(pol->certs, struct loom_ss_cert), 8);
	LT_CHECK_EQ(COUNT(pol->trust_stores, struct loom_ss_trust_store), 4);
	st = st_get(pol, "avs_event");
	if (st) {
		LT_CHECK_EQ(st->protocol, LOOM_SS_PROTO_H2);
		LT_CHECK(str_is(st->endpoint, "alexa.na.gateway.devices.a2z.com"));
		LT_CHECK(str_is(st->http_url, "v20160207/directives"));
		LT_CHECK(str_is(st->http_auth_header, "authorization:"));
		LT_CHECK(str_is(st->http_auth_preamble, "Bearer "));
		LT_CHECK((st->flags & (LOOM_SSTF_NAILED_UP | LOOM_SSTF_LONG_POLL)) ==
			 (LOOM_SSTF_NAILED_UP | LOOM_SSTF_LONG_POLL));
		LT_CHECK(str_is(st->trust_store->name, "avs_via_starfield"));
	}
	st = st_get(pol, "avs_metadata");
	if (st) {
		LT_CHECK(str_is(st->http_multipart_name, "metadata"));
		LT_CHECK(str_is(st->http_mime_content_type, "application/json; charset=UTF-8"));
		LT_CHECK(str_is(st->rideshare, "avs_audio"));
	}
	st = st_get(pol, "mintest");
	if (st) {
		LT_CHECK(str_is(st->http_url, "index.html?uptag=${uptag}"));
		LT_CHECK(str_is(st->http_dsn_header, "x-dsn:"));
		LT_CHECK_EQ(st->count_metadata, 3);
		LT_CHECK(str_is(st->metadata->value, "X-Upload-Tag:"));
	}
	st = st_get(pol, "mintest-fail");
	if (st)
		LT_CHECK_EQ(st->port, 22);
	st = st_get(pol, "mqtt_test1");
	if (st) {
		LT_CHECK_EQ(st->protocol, LOOM_SS_PROTO_MQTT);
		LT_CHECK(str_is(st->endpoint, "a1ygonr3im5cv2-ats.iot.us-west-2.amazonaws.com"));
		LT_CHECK(str_is(st->mqtt_topic, "test/topic1"));
		LT_CHECK(str_is(st->mqtt_subscribe, "test/topic1"));
		LT_CHECK_EQ(st->mqtt_qos, 1);
		LT_CHECK_EQ(st->port, 443);
		LT_CHECK_EQ(st->client_cert, 0);
		LT_CHECK_EQ(st->trust_store->count_certs, 3);
		LT_CHECK(str_is(ts_cert(st, 0), "amazon_root_ca_1"));
	}
	st = st_get(pol, "captive_portal_detect");
	if (st) {
		LT_CHECK_EQ(st->port, 80);
		LT_CHECK_EQ(st->http_expect, 204);
		LT_CHECK_EQ(st->flags, LOOM_SSTF_OPPORTUNISTIC | LOOM_SSTF_HTTP_FAIL_REDIRECT);
		LT_CHECK(st->retry == NULL && st->trust_store == NULL);
	}
	st = st_get(pol, "api_amazon_com_auth");
	if (st)
		LT_CHECK(st->flags & LOOM_SSTF_HTTP_FORM_URLENCODED);
	loom_ss_policy_unref(pol);
}

static void
test_server_and_sink(void)
{
	struct loom_ss_policy *pol = load("server--hello_world--example-policy.json");
	const struct loom_ss_stream_type *st;

	if (pol) {
		check_retry(pol->retries, "default", bo_std, 5, 5, 20, 300, 310);
		st = st_get(pol, "myserver");
		if (st) {
			LT_CHECK_EQ(st->port, 7681);
			LT_CHECK_EQ(st->protocol, LOOM_SS_PROTO_H2);
			LT_CHECK_EQ(st->flags, LOOM_SSTF_SERVER | LOOM_SSTF_TLS);
			LT_CHECK_EQ(st->count_metadata, 4);
			LT_CHECK(str_is(st->server_cert->name, "self_localhost"));
		}
		st = st_get(pol, "ota");
		if (st) {
			LT_CHECK(str_is(st->http_url, "firmware/examples/${ota_variant}/${file}"));
			LT_CHECK_EQ(st->count_metadata, 2);
			LT_CHECK(st->trust_store == NULL);
			LT_CHECK(st->flags & LOOM_SSTF_NGHTTP2_QUIRK);
		}
		loom_ss_policy_unref(pol);
	}
	pol = load("sink--hello_world--example-policy.json");
	if (pol) {
		st = st_get(pol, "sink_hello_world");
		if (st) {
			LT_CHECK_EQ(st->flags, LOOM_SSTF_LOCAL_SINK);
			LT_CHECK_EQ(st->protocol, LOOM_SS_PROTO_NONE);
		}
		loom_ss_policy_unref(pol);
	}
}

/* ---- bad policies ---- */

struct badp {
	const char *json, *msg;
};

#define GOOD_HEAD "{\"retry\":[{\"r\":{\"backoff\":[10,20]}}],\n\"s\":[{\"t\":{"

static const struct badp bads[] = {
	{ "{\"s\":[{\"t\":{\"endpoint\":\"x\",,}}]}", "line 1 col 28: syntax error" },
	{ "{\"s\":[\n{\"t\":{\n\"protocol\":\"h3\",\"endpoint\":\"x\"}}]}",
	  "line 3 col 15: stream type \"t\": unknown protocol \"h3\"" },
	{ "{\"s\":[{\"t\":{\"protocol\":\"h1\"}}]}", "stream type \"t\": missing \"endpoint\"" },
	{ "{\"s\":[{\"t\":{\"endpoint\":\"x\"}}]}", "stream type \"t\": missing \"protocol\"" },
	{ GOOD_HEAD "\"protocol\":\"h1\",\"endpoint\":\"x\",\"tls_trust_store\":\"nope\"}}]}",
	  "line 2 col 66: stream type \"t\": unknown tls_trust_store \"nope\"" },
	{ GOOD_HEAD "\"protocol\":\"h1\",\"endpoint\":\"x\",\"retry\":\"other\"}}]}",
	  "stream type \"t\": unknown retry \"other\"" },
	{ GOOD_HEAD "\"protocol\":\"h1\",\"endpoint\":\"x\",\"port\":\"443\"}}]}",
	  "line 2 col 54: \"s[].t.port\" must be an integer" },
	{ GOOD_HEAD "\"protocol\":\"h1\",\"endpoint\":\"x\",\"tls\":1}}]}",
	  "\"s[].t.tls\" must be true or false" },
	{ GOOD_HEAD "\"protocol\":\"h1\",\"endpoint\":[\"x\"]}}]}",
	  "\"s[].t.endpoint\" must be a string" },
	{ GOOD_HEAD "\"protocol\":\"h1\",\"endpoint\":\"x\",\"port\":70000}}]}",
	  "\"s[].t.port\": 70000 is out of range 0..65535" },
	{ GOOD_HEAD "\"protocol\":\"h1\",\"endpoint\":\"x\",\"timeout_ms\":1.5}}]}",
	  "\"s[].t.timeout_ms\" must be an integer" },
	{ "{\"s\":{\"t\":{}}}", "\"s\" must be an array" },
	{ "{\"s\":[{\"t\":7}]}", "\"s[].t\" must be an object" },
	{ "{\"retry\":[{\"r\":{\"backoff\":[1,\"2\"]}}]}",
	  "\"retry[].r.backoff[]\" must be an integer" },
	{ "{\"retry\":[{\"r\":{\"jitterpc\":101}}]}", "is out of range 0..100" },
	{ "{\"certs\":[{\"c\":\"not base64!\"}]}", "cert \"c\" is not base64" },
	{ "{\"trust_stores\":[{\"name\":\"t\",\"stack\":[\"missing\"]}]}",
	  "unknown cert \"missing\"" },
	{ "{\"trust_stores\":[{\"stack\":[]}]}", "trust store without \"name\"" },
	{ "[1,2]", "a policy is a JSON object" },
	{ "{\"s\":[]} x", "trailing data" },
	{ "{\"s\":[", "line 1 col 6: document truncated" },
	{ "", "document truncated" },
	{ "{\"s\":[{\"t\":{\"protocol\":\"h1\",\"endpoint\":\"\xc3\x28\"}}]}", "invalid UTF-8" },
	{ "{\"schema-version\":null}", "\"schema-version\" must be an integer" },
};

static void
test_bad(void)
{
	struct loom_ss_policy *pol;
	size_t n;

	for (n = 0; n < sizeof(bads) / sizeof(bads[0]); n++) {
		long before = live;
		int rc;

		last_log[0] = '\0';
		rc = loom_ss_policy_parse(bads[n].json, strlen(bads[n].json), &pol);
		LT_CHECK_EQ(rc, LOOM_EINVAL);
		LT_CHECK(pol == NULL);
		LT_CHECK_EQ(live, before);
		if (!strstr(last_log, bads[n].msg)) {
			fprintf(stderr, "bad %d: log \"%s\"\n  wants \"%s\"\n", (int)n,
				last_log, bads[n].msg);
			LT_CHECK(0);
		} else
			LT_CHECK(1);
	}
}

/* every allocation failure on the way: clean failure, nothing left */
static void
test_alloc_fail(void)
{
	struct loom_ss_policy *pol;
	char path[1024];
	long n, before = live;
	int rc, ok = 0;

	snprintf(path, sizeof(path), "%s/%s", dir,
		 "minimal-secure-streams-staticpolicy--static-policy.json");
	loom_set_log_level(0, emit);
	for (n = 0; n < 5000; n++) {
		calls = 0;
		fail_at = n;
		rc = loom_ss_policy_parse_file(path, &pol);
		fail_at = -1;
		if (!rc) {
			loom_ss_policy_unref(pol);
			ok = 1;
			break;
		}
		if (rc != LOOM_ENOMEM) {
			fprintf(stderr, "alloc fail %ld: rc %d\n", n, rc);
			break;
		}
		if (live != before)
			break;
	}
	loom_set_log_level(LOOM_LL_ERR, emit);
	LT_CHECK(ok);
	LT_CHECK(n > 10);
	LT_CHECK_EQ(live, before);
}

/* a second reference keeps the policy; the last unref frees the whole arena */
static void
test_refcount(void)
{
	static const char js[] = "{\"s\":[{\"a\":{\"protocol\":\"raw\",\"endpoint\":"
				 "\"127.0.0.1\",\"port\":9}},{\"srv\":{\"server\":true,"
				 "\"protocol\":\"h1\"}},{\"c\":{\"protocol\":\"ws\","
				 "\"endpoint\":\"x\",\"tls\":true}}]}";
	struct loom_ss_policy *pol;
	long before = live;

	LT_CHECK_EQ(loom_ss_policy_parse(js, sizeof(js) - 1, &pol), 0);
	if (!pol)
		return;
	LT_CHECK_EQ(pol->refcount, 1);
	pol->refcount++;
	loom_ss_policy_unref(pol);
	LT_CHECK(live > before);
	LT_CHECK_EQ(loom_ss_policy_stream_type(pol, "a")->protocol, LOOM_SS_PROTO_RAW);
	LT_CHECK_EQ(loom_ss_policy_stream_type(pol, "a")->port, 9);
	LT_CHECK(loom_ss_policy_stream_type(pol, "b") == NULL);
	/* defaults: a server's port stays 0 (pick one), a client's follows tls */
	LT_CHECK_EQ(loom_ss_policy_stream_type(pol, "srv")->port, 0);
	LT_CHECK_EQ(loom_ss_policy_stream_type(pol, "c")->port, 443);
	loom_ss_policy_unref(pol);
	LT_CHECK_EQ(live, before);
	LT_CHECK(!strcmp(loom_ss_protocol_name(LOOM_SS_PROTO_MQTT), "mqtt"));
}

int
main(int argc, char **argv)
{
	dir = argc > 1 ? argv[1] : "lws-policies";
	loom_set_allocator(count_realloc);
	loom_set_log_level(LOOM_LL_ERR, emit);

	test_hello_world();
	test_binance("client--binance--example-policy.json",
		     "stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker/btcusdt@aggTrade",
		     "MIIDjjCCAnagAwIB");
	test_binance("minimal-secure-streams-binance--policy.json",
		     "/stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker/btcusdt@aggTrade",
		     "MIIDrzCCApegAwIB");
	test_binance("minimal-secure-streams-custom-client-transport--policy.json",
		     "/stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker/btcusdt@aggTrade",
		     "MIIDrzCCApegAwIB");
	test_post_and_echo();
	test_metrics_proxy();
	test_sigv4();
	test_static();
	test_server_and_sink();
	test_bad();
	test_alloc_fail();
	test_refcount();
	LT_CHECK_EQ(live, 0);

	return lt_result("api-test-ss-policy");
}
