/*
 * api-test-dll2: the intrusive list: add head/tail/before, remove (also of a detached
 * member), stable add_sorted, foreach_safe with removal and early stop, owner counts.
 */
#include <loom.h>
#include <stdlib.h>
#include <string.h>

#include "loom-test.h"

struct item {
	int key;
	int seq;		/* insertion order, to see sort stability */
	struct loom_dll2 list;
};

#define ITEM(d) loom_container_of(d, struct item, list)

/*
 * Walk the list both ways and check every link and the owner's bookkeeping against
 * the keys we expect, in order. Returns nonzero on any mismatch.
 */
static int
list_is(const struct loom_dll2_owner *o, const int *keys, unsigned int n)
{
	const struct loom_dll2 *d, *prev = NULL;
	unsigned int i = 0;

	if (o->count != n)
		return 1;
	if (!n)
		return o->head || o->tail;
	if (!o->head || !o->tail || o->head->prev || o->tail->next)
		return 1;
	for (d = o->head; d; d = d->next) {
		if (i >= n || ITEM(d)->key != keys[i] || d->prev != prev ||
		    d->owner != o)
			return 1;
		prev = d;
		i++;
	}
	if (i != n || prev != o->tail)
		return 1;
	/* and backwards */
	for (d = o->tail; d; d = d->prev)
		if (ITEM(d)->key != keys[--i])
			return 1;

	return 0;
}

static int
cmp_key(const struct loom_dll2 *a, const struct loom_dll2 *b)
{
	return ITEM(a)->key - ITEM(b)->key;
}

static void
test_add_remove(void)
{
	struct loom_dll2_owner o;
	struct item it[6];
	int i;

	memset(it, 0, sizeof(it));
	for (i = 0; i < 6; i++) {
		it[i].key = i;
		loom_dll2_clear(&it[i].list);
	}
	loom_dll2_owner_clear(&o);
	LT_CHECK(!list_is(&o, NULL, 0));
	LT_CHECK(loom_dll2_is_detached(&it[0].list));

	loom_dll2_add_tail(&it[1].list, &o);			/* 1 */
	LT_CHECK(!list_is(&o, (const int[]){ 1 }, 1));
	loom_dll2_add_head(&it[0].list, &o);			/* 0 1 */
	loom_dll2_add_tail(&it[3].list, &o);			/* 0 1 3 */
	LT_CHECK(!list_is(&o, (const int[]){ 0, 1, 3 }, 3));
	LT_CHECK(!loom_dll2_is_detached(&it[3].list));

	/* before the head, and before a middle member */
	loom_dll2_add_before(&it[2].list, &it[3].list);		/* 0 1 2 3 */
	LT_CHECK(!list_is(&o, (const int[]){ 0, 1, 2, 3 }, 4));
	loom_dll2_add_before(&it[4].list, &it[0].list);		/* 4 0 1 2 3 */
	LT_CHECK(!list_is(&o, (const int[]){ 4, 0, 1, 2, 3 }, 5));
	LT_CHECK(o.head == &it[4].list);

	/* remove middle, head, tail */
	loom_dll2_remove(&it[1].list);				/* 4 0 2 3 */
	LT_CHECK(!list_is(&o, (const int[]){ 4, 0, 2, 3 }, 4));
	LT_CHECK(loom_dll2_is_detached(&it[1].list));
	LT_CHECK(!it[1].list.prev && !it[1].list.next);
	loom_dll2_remove(&it[4].list);				/* 0 2 3 */
	LT_CHECK(!list_is(&o, (const int[]){ 0, 2, 3 }, 3));
	loom_dll2_remove(&it[3].list);				/* 0 2 */
	LT_CHECK(!list_is(&o, (const int[]){ 0, 2 }, 2));
	LT_CHECK(o.tail == &it[2].list);

	/* removing a detached member, twice, changes nothing */
	loom_dll2_remove(&it[3].list);
	loom_dll2_remove(&it[5].list);
	LT_CHECK(!list_is(&o, (const int[]){ 0, 2 }, 2));

	/* a detached member can go on another list */
	{
		struct loom_dll2_owner o2;

		loom_dll2_owner_clear(&o2);
		loom_dll2_add_head(&it[3].list, &o2);
		LT_CHECK(!list_is(&o2, (const int[]){ 3 }, 1));
		LT_CHECK(it[3].list.owner == &o2);
		loom_dll2_remove(&it[3].list);
		LT_CHECK(!list_is(&o2, NULL, 0));
	}

	/* empty it: the last remove leaves head and tail NULL */
	loom_dll2_remove(&it[0].list);
	loom_dll2_remove(&it[2].list);
	LT_CHECK(!list_is(&o, NULL, 0));
	LT_CHECK(!o.head && !o.tail && !o.count);

	/* add_head onto an empty list sets both ends */
	loom_dll2_add_head(&it[5].list, &o);
	LT_CHECK(o.head == &it[5].list && o.tail == &it[5].list);
	loom_dll2_remove(&it[5].list);
}

/* add_sorted: ascending, and equal keys keep their insertion order */
static void
test_sorted(void)
{
	static const int keys[] = { 5, 3, 5, 1, 9, 3, 0, 5, 9, 1, 7, 0 };
	const int n = (int)(sizeof(keys) / sizeof(keys[0]));
	struct loom_dll2_owner o;
	struct item it[sizeof(keys) / sizeof(keys[0])];
	struct loom_dll2 *d;
	int i, ok = 1, last_key = -1, last_seq = -1;

	memset(it, 0, sizeof(it));
	loom_dll2_owner_clear(&o);
	for (i = 0; i < n; i++) {
		it[i].key = keys[i];
		it[i].seq = i;
		loom_dll2_add_sorted(&it[i].list, &o, cmp_key);
	}
	LT_CHECK_EQ(o.count, n);
	for (d = o.head; d; d = d->next) {
		struct item *t = ITEM(d);

		if (t->key < last_key || (t->key == last_key && t->seq < last_seq))
			ok = 0;
		if (t->key != last_key)
			last_seq = -1;
		last_key = t->key;
		last_seq = t->seq;
	}
	LT_CHECK(ok);
	LT_CHECK(!list_is(&o, (const int[]){ 0, 0, 1, 1, 3, 3, 5, 5, 5, 7, 9, 9 }, 12));
	/* the three 5s in the order they were added: seq 0, 2, 7 */
	for (d = o.head; ITEM(d)->key != 5; d = d->next)
		;
	LT_CHECK_EQ(ITEM(d)->seq, 0);
	LT_CHECK_EQ(ITEM(d->next)->seq, 2);
	LT_CHECK_EQ(ITEM(d->next->next)->seq, 7);

	/* a member added again with add_sorted goes to the end of its equal run */
	loom_dll2_remove(&it[0].list);
	loom_dll2_add_sorted(&it[0].list, &o, cmp_key);
	for (d = o.head; ITEM(d)->key != 5; d = d->next)
		;
	LT_CHECK_EQ(ITEM(d)->seq, 2);
	LT_CHECK_EQ(ITEM(d->next)->seq, 7);
	LT_CHECK_EQ(ITEM(d->next->next)->seq, 0);
	LT_CHECK_EQ(o.count, n);

	for (i = 0; i < n; i++)
		loom_dll2_remove(&it[i].list);
	LT_CHECK(!list_is(&o, NULL, 0));
}

/* randomized add_sorted against a simple count of keys, seeded */
static void
test_sorted_random(void)
{
	enum { N = 500 };
	static struct item it[N];
	struct loom_dll2_owner o;
	struct loom_dll2 *d;
	unsigned int seed = 12345;
	int i, ok = 1, removed = 0;

	memset(it, 0, sizeof(it));
	loom_dll2_owner_clear(&o);
	for (i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		it[i].key = (int)((seed >> 16) % 20);
		it[i].seq = i;
		loom_dll2_add_sorted(&it[i].list, &o, cmp_key);
		/* now and then take a random earlier one out */
		if (i && !(i % 7)) {
			struct item *r = &it[(seed >> 8) % (unsigned int)i];

			if (!loom_dll2_is_detached(&r->list)) {
				loom_dll2_remove(&r->list);
				removed++;
			}
		}
	}
	LT_CHECK_EQ(o.count, N - removed);
	i = 0;
	for (d = o.head; d; d = d->next, i++)
		if (d->next && (ITEM(d)->key > ITEM(d->next)->key ||
				(ITEM(d)->key == ITEM(d->next)->key &&
				 ITEM(d)->seq > ITEM(d->next)->seq)))
			ok = 0;
	LT_CHECK(ok);
	LT_CHECK_EQ(i, N - removed);
	for (i = 0; i < N; i++)
		loom_dll2_remove(&it[i].list);
	LT_CHECK(!o.count && !o.head && !o.tail);
}

struct walk {
	int visited[16];
	int count;
	int remove_odd;		/* remove and free members with odd keys */
	int stop_at;		/* return this key's value + 100 when reached; -1 never */
};

static int
walk_cb(struct loom_dll2 *d, void *user)
{
	struct walk *w = user;
	struct item *t = ITEM(d);

	w->visited[w->count++] = t->key;
	if (t->key == w->stop_at)
		return 100 + t->key;
	if (w->remove_odd && (t->key & 1)) {
		loom_dll2_remove(d);
		free(t);	/* the walk must not touch it again */
	}

	return 0;
}

static void
test_foreach(void)
{
	struct loom_dll2_owner o;
	struct walk w;
	struct loom_dll2 *d;
	int i;

	loom_dll2_owner_clear(&o);
	for (i = 0; i < 8; i++) {
		struct item *t = calloc(1, sizeof(*t));

		if (!t)
			return;
		t->key = i;
		loom_dll2_add_tail(&t->list, &o);
	}

	/* early stop: returns the callback's value, visits only up to there */
	memset(&w, 0, sizeof(w));
	w.stop_at = 3;
	LT_CHECK_EQ(loom_dll2_foreach_safe(&o, &w, walk_cb), 103);
	LT_CHECK_EQ(w.count, 4);
	LT_CHECK_EQ(o.count, 8);

	/* removal (and free) of the current member: the walk carries on to the end */
	memset(&w, 0, sizeof(w));
	w.stop_at = -1;
	w.remove_odd = 1;
	LT_CHECK_EQ(loom_dll2_foreach_safe(&o, &w, walk_cb), 0);
	LT_CHECK_EQ(w.count, 8);
	for (i = 0; i < 8; i++)
		LT_CHECK_EQ(w.visited[i], i);
	LT_CHECK(!list_is(&o, (const int[]){ 0, 2, 4, 6 }, 4));

	/* the tail removed last: the walk still ends cleanly; an empty list: 0 */
	memset(&w, 0, sizeof(w));
	w.stop_at = -1;
	LT_CHECK_EQ(loom_dll2_foreach_safe(&o, &w, walk_cb), 0);
	LT_CHECK_EQ(w.count, 4);

	/* the inline macro form with removal of everything */
	i = 0;
	loom_start_foreach_dll_safe(o.head, p, p1) {
		loom_dll2_remove(p);
		free(ITEM(p));
		i++;
	} loom_end_foreach_dll_safe(p, p1);
	LT_CHECK_EQ(i, 4);
	LT_CHECK(!list_is(&o, NULL, 0));

	memset(&w, 0, sizeof(w));
	LT_CHECK_EQ(loom_dll2_foreach_safe(&o, &w, walk_cb), 0);
	LT_CHECK_EQ(w.count, 0);
	d = o.head;
	LT_CHECK(!d);
}

int
main(void)
{
	test_add_remove();
	test_sorted();
	test_sorted_random();
	test_foreach();

	return lt_result("api-test-dll2");
}
