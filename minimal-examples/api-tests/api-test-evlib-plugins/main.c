/*
 * api-test-evlib-plugins: with LOOM_WITH_EVLIB_PLUGINS, libloom.so maps none of
 * the loops' libraries until a context asks for one; then the module
 * libloom-evlib-<name>.so is loaded, runs the context (a sul fires), and stays
 * for the next. Names that are not modules, or not plain names, fail cleanly.
 *
 *   api-test-evlib-plugins NAME...   (the shims this build has)
 */
#include <loom.h>
#include "loom-test.h"

#include <stdio.h>
#include <string.h>

static int fired;

/* the file the loop's own library is in, as /proc/self/maps shows it */
static const char *
lib_of(const char *name)
{
	if (!strcmp(name, "libuv"))
		return "/libuv.so";
	if (!strcmp(name, "libevent"))
		return "/libevent";
	if (!strcmp(name, "libev"))
		return "/libev.so";
	if (!strcmp(name, "glib"))
		return "/libglib-2.0.so";

	return NULL;
}

static int
mapped(const char *what)
{
	char line[1024];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);

	return found;
}

static void
on_sul(struct loom_sul *sul)
{
	fired++;
}

static void
run_on(const char *name)
{
	struct loom_context_info info;
	struct loom_context *ctx;
	struct loom_sul sul;
	char mod[64];
	int i;

	memset(&info, 0, sizeof(info));
	info.event_lib = name;
	info.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return;
	LT_CHECK(!strcmp(loom_evlib_name(ctx), name));
	memset(&sul, 0, sizeof(sul));
	fired = 0;
	loom_sul_schedule(ctx, 0, &sul, on_sul, 20 * 1000);
	for (i = 0; i < 100 && !fired; i++)
		loom_service(ctx, 10);
	LT_CHECK_EQ(fired, 1);
	loom_context_destroy(ctx);
	snprintf(mod, sizeof(mod), "/libloom-evlib-%s.so", name);
	LT_CHECK_EQ(mapped(mod), 1);
	LT_CHECK(loom_evlib_available(name));
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	int n;

	loom_set_log_level(LOOM_LL_ERR, NULL);
	LT_CHECK(argc > 1);
	/* nothing of the loops is in the process before a context asks */
	LT_CHECK_EQ(mapped("/libloom.so"), 1);
	for (n = 1; n < argc; n++) {
		LT_CHECK(lib_of(argv[n]) != NULL);
		if (lib_of(argv[n]))
			LT_CHECK_EQ(mapped(lib_of(argv[n])), 0);
	}
	/* each twice: loaded once, then found again */
	for (n = 1; n < argc; n++) {
		run_on(argv[n]);
		run_on(argv[n]);
	}
	/* not a module, not a plain name: no context, no crash */
	memset(&info, 0, sizeof(info));
	info.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	info.event_lib = "nosuch";
	LT_CHECK(loom_create_context(&info) == NULL);
	LT_CHECK(!loom_evlib_available("nosuch"));
	info.event_lib = "../libuv";
	LT_CHECK(loom_create_context(&info) == NULL);
	LT_CHECK(!loom_evlib_available("/tmp/libuv"));

	return lt_result("api-test-evlib-plugins");
}
