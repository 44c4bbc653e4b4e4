/*
 * buflist.h: a chain of owned byte segments, used for pending output and for input
 * held back by flow control. The head pointer is the whole list; NULL is empty.
 */
#ifndef LOOM_BUFLIST_H
#define LOOM_BUFLIST_H

/** \defgroup buflist Buffer lists
 * @{ */
struct loom_buflist;

/**
 * loom_buflist_append_segment() - copy \p len bytes of \p buf to the end of the list
 *
 * Returns 1 if the list was empty before, 0 if not, or LOOM_ENOMEM / LOOM_EINVAL.
 */
int
loom_buflist_append_segment(struct loom_buflist **head, const void *buf, size_t len);

/**
 * loom_buflist_next_segment_len() - length of the unused part of the first segment
 * \param head: the list
 * \param buf: if not NULL, set to the first unused byte (or NULL when empty)
 */
size_t
loom_buflist_next_segment_len(struct loom_buflist **head, uint8_t **buf);

/**
 * loom_buflist_use_segment() - mark \p len bytes of the first segment used; frees the
 * segment when it is used up. Returns the bytes left in that segment.
 */
size_t
loom_buflist_use_segment(struct loom_buflist **head, size_t len);

/** loom_buflist_total_len() - unused bytes in the whole list */
size_t
loom_buflist_total_len(struct loom_buflist **head);

/**
 * loom_buflist_linear_copy() - copy up to \p len bytes starting \p ofs bytes into the
 * list's unused data into \p buf, without consuming. Returns the bytes copied.
 */
size_t
loom_buflist_linear_copy(struct loom_buflist **head, size_t ofs, uint8_t *buf, size_t len);

/**
 * loom_buflist_linear_use() - copy up to \p len bytes into \p buf and consume them,
 * across segments. Returns the bytes copied.
 */
size_t
loom_buflist_linear_use(struct loom_buflist **head, uint8_t *buf, size_t len);

/** loom_buflist_destroy_all_segments() - free every segment; the list becomes empty */
void
loom_buflist_destroy_all_segments(struct loom_buflist **head);

/** loom_buflist_segment_count() - number of segments (for tests and accounting) */
unsigned int
loom_buflist_segment_count(struct loom_buflist **head);
/** @} */

#endif
