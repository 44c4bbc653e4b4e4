/*
 * consumer.c: a program built out of tree against an installed libloom, found by
 * find_package(Loom) or pkg-config; it proves the install is complete and usable.
 */
#include <stdio.h>
#include <string.h>

#include <loom.h>

int
main(void)
{
	struct loom_context_info info;
	struct loom_context *ctx;

	memset(&info, 0, sizeof info);
	ctx = loom_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "consumer: loom_create_context() failed\n");
		return 1;
	}
	loom_context_destroy(ctx);

	printf("consumer ok\n");

	return 0;
}
