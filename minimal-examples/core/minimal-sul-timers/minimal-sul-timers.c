/*
 * minimal-sul-timers: the sul scheduler without any connection. Written to CC0 /
 * public domain. A one-shot timer, a periodic one that reschedules itself, and one
 * that is cancelled before it is due. It checks that each ran when it should (never
 * early, in order) and exits 0, so it doubles as a test.
 */
#include <loom.h>

#include <stdio.h>
#include <string.h>

#define MS ((loom_usec_t)1000)

struct timer {
	struct loom_sul sul;
	const char *name;
	loom_usec_t due;		/* when it was asked to run */
	int runs;
};

static struct loom_context *context;
static struct timer oneshot = { .name = "oneshot" };
static struct timer periodic = { .name = "periodic" };
static struct timer cancelled = { .name = "cancelled" };
static int errors;

static void
check_on_time(struct timer *t)
{
	loom_usec_t now = loom_now_usecs();

	if (now < t->due) {
		fprintf(stderr, "%s ran %lld us early\n", t->name,
			(long long)(t->due - now));
		errors++;
	}
	printf("%-9s run %d, %lld us after its time\n", t->name, t->runs,
	       (long long)(now - t->due));
}

static void
arm(struct timer *t, loom_sul_cb cb, loom_usec_t us)
{
	t->due = loom_now_usecs() + us;
	loom_sul_schedule(context, 0, &t->sul, cb, us);
}

static void
oneshot_cb(struct loom_sul *sul)
{
	struct timer *t = loom_container_of(sul, struct timer, sul);

	t->runs++;
	check_on_time(t);
	/*
	 * The periodic timer was first due at 20 ms, before us (50 ms): it has run,
	 * however late the loop woke. (Its next run is 20 ms after that one, so on a
	 * loaded machine it may come after us: not checked.)
	 */
	if (periodic.runs < 1) {
		fprintf(stderr, "oneshot ran out of order\n");
		errors++;
	}
}

static void
periodic_cb(struct loom_sul *sul)
{
	struct timer *t = loom_container_of(sul, struct timer, sul);

	t->runs++;
	check_on_time(t);
	if (t->runs < 5)
		arm(t, periodic_cb, 20 * MS);
	else
		loom_stop(context);
}

static void
cancelled_cb(struct loom_sul *sul)
{
	fprintf(stderr, "a cancelled timer ran\n");
	errors++;
}

int
main(void)
{
	struct loom_context_info info;

	memset(&info, 0, sizeof(info));
	context = loom_create_context(&info);
	if (!context)
		return 1;

	arm(&periodic, periodic_cb, 20 * MS);
	arm(&oneshot, oneshot_cb, 50 * MS);
	arm(&cancelled, cancelled_cb, 30 * MS);
	loom_sul_cancel(&cancelled.sul);

	loom_run(context, 0);
	loom_context_destroy(context);

	if (oneshot.runs != 1 || periodic.runs != 5)
		errors++;
	printf("%s\n", errors ? "FAIL" : "ok");

	return !!errors;
}
