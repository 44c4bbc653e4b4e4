/*
 * buflist.c: a chain of owned byte segments. Each segment is one allocation holding
 * its header and its bytes; "pos" says how much of it is already used.
 */
#include "core/private-core.h"

struct loom_buflist {
	struct loom_buflist *next;
	size_t len;
	size_t pos;
	/* bytes follow */
};

#define LOOM_BL_DATA(b) ((uint8_t *)(b) + sizeof(struct loom_buflist))

int
loom_buflist_append_segment(struct loom_buflist **head, const void *buf, size_t len)
{
	struct loom_buflist *nbuf, **p = head;
	int first = !*head;

	if (!len || !buf)
		return LOOM_EINVAL;
	if (len > (size_t)-1 - sizeof(*nbuf))
		return LOOM_EINVAL;
	nbuf = loom_malloc(sizeof(*nbuf) + len, "buflist");
	if (!nbuf)
		return LOOM_ENOMEM;
	nbuf->next = NULL;
	nbuf->len = len;
	nbuf->pos = 0;
	memcpy(LOOM_BL_DATA(nbuf), buf, len);
	while (*p)
		p = &(*p)->next;
	*p = nbuf;

	return first;
}

size_t
loom_buflist_next_segment_len(struct loom_buflist **head, uint8_t **buf)
{
	if (!*head) {
		if (buf)
			*buf = NULL;
		return 0;
	}
	if (buf)
		*buf = LOOM_BL_DATA(*head) + (*head)->pos;

	return (*head)->len - (*head)->pos;
}

size_t
loom_buflist_use_segment(struct loom_buflist **head, size_t len)
{
	struct loom_buflist *b = *head;

	if (!b)
		return 0;
	if (len > b->len - b->pos)
		len = b->len - b->pos;
	b->pos += len;
	if (b->pos < b->len)
		return b->len - b->pos;
	*head = b->next;
	loom_free(b);

	return 0;
}

size_t
loom_buflist_total_len(struct loom_buflist **head)
{
	const struct loom_buflist *b;
	size_t t = 0;

	for (b = *head; b; b = b->next)
		t += b->len - b->pos;

	return t;
}

size_t
loom_buflist_linear_copy(struct loom_buflist **head, size_t ofs, uint8_t *buf, size_t len)
{
	const struct loom_buflist *b = *head;
	size_t done = 0;

	while (b && done < len) {
		size_t avail = b->len - b->pos, n;

		if (ofs >= avail) {
			ofs -= avail;
			b = b->next;
			continue;
		}
		n = avail - ofs;
		if (n > len - done)
			n = len - done;
		memcpy(buf + done, LOOM_BL_DATA(b) + b->pos + ofs, n);
		done += n;
		ofs = 0;
		b = b->next;
	}

	return done;
}

size_t
loom_buflist_linear_use(struct loom_buflist **head, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (*head && done < len) {
		uint8_t *p;
		size_t n = loom_buflist_next_segment_len(head, &p);

		if (n > len - done)
			n = len - done;
		memcpy(buf + done, p, n);
		done += n;
		loom_buflist_use_segment(head, n);
	}

	return done;
}

void
loom_buflist_destroy_all_segments(struct loom_buflist **head)
{
	struct loom_buflist *b = *head, *next;

	while (b) {
		next = b->next;
		loom_free(b);
		b = next;
	}
	*head = NULL;
}

unsigned int
loom_buflist_segment_count(struct loom_buflist **head)
{
	const struct loom_buflist *b;
	unsigned int n = 0;

	for (b = *head; b; b = b->next)
		n++;

	return n;
}
