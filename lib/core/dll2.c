/*
 * dll2.c: the intrusive doubly-linked list with an owner (head, tail, count).
 */
#include "core/private-core.h"

void
loom_dll2_clear(struct loom_dll2 *d)
{
	d->prev = d->next = NULL;
	d->owner = NULL;
}

void
loom_dll2_owner_clear(struct loom_dll2_owner *o)
{
	o->head = o->tail = NULL;
	o->count = 0;
}

void
loom_dll2_add_head(struct loom_dll2 *d, struct loom_dll2_owner *o)
{
	if (d->owner)
		loom_dll2_remove(d);
	d->prev = NULL;
	d->next = o->head;
	d->owner = o;
	if (o->head)
		o->head->prev = d;
	else
		o->tail = d;
	o->head = d;
	o->count++;
}

void
loom_dll2_add_tail(struct loom_dll2 *d, struct loom_dll2_owner *o)
{
	if (d->owner)
		loom_dll2_remove(d);
	d->next = NULL;
	d->prev = o->tail;
	d->owner = o;
	if (o->tail)
		o->tail->next = d;
	else
		o->head = d;
	o->tail = d;
	o->count++;
}

void
loom_dll2_add_before(struct loom_dll2 *d, struct loom_dll2 *after)
{
	struct loom_dll2_owner *o = after->owner;

	if (d->owner)
		loom_dll2_remove(d);
	d->owner = o;
	d->next = after;
	d->prev = after->prev;
	if (after->prev)
		after->prev->next = d;
	else
		o->head = d;
	after->prev = d;
	o->count++;
}

void
loom_dll2_remove(struct loom_dll2 *d)
{
	struct loom_dll2_owner *o = d->owner;

	if (!o)
		return;
	if (d->prev)
		d->prev->next = d->next;
	else
		o->head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		o->tail = d->prev;
	o->count--;
	d->prev = d->next = NULL;
	d->owner = NULL;
}

/*
 * Walk from the tail: callers (the sul, timeouts) mostly insert items later than
 * everything already there, so that is O(1) in the common case.
 */
void
loom_dll2_add_sorted(struct loom_dll2 *d, struct loom_dll2_owner *o,
		     int (*compare)(const struct loom_dll2 *a, const struct loom_dll2 *b))
{
	struct loom_dll2 *p = o->tail;

	if (d->owner)
		loom_dll2_remove(d);
	while (p && compare(d, p) < 0)
		p = p->prev;
	if (!p) {
		loom_dll2_add_head(d, o);
		return;
	}
	/* insert after p */
	if (!p->next) {
		loom_dll2_add_tail(d, o);
		return;
	}
	loom_dll2_add_before(d, p->next);
}

int
loom_dll2_foreach_safe(struct loom_dll2_owner *o, void *user,
		       int (*cb)(struct loom_dll2 *d, void *user))
{
	struct loom_dll2 *d = o->head, *next;
	int r;

	while (d) {
		next = d->next;
		r = cb(d, user);
		if (r)
			return r;
		d = next;
	}

	return 0;
}
