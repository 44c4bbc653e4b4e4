/*
 * dll2.h: intrusive doubly-linked list whose owner knows head, tail and count.
 * Embed a struct loom_dll2 in your object; no allocation happens in the list.
 */
#ifndef LOOM_DLL2_H
#define LOOM_DLL2_H

/** \defgroup dll2 Intrusive lists
 * @{ */
struct loom_dll2_owner;

/** a list member; zero it (or loom_dll2_clear()) before first use */
struct loom_dll2 {
	struct loom_dll2 *prev;		/**< towards the head, NULL at the head */
	struct loom_dll2 *next;		/**< towards the tail, NULL at the tail */
	struct loom_dll2_owner *owner;	/**< NULL when not on a list */
};

/** a list */
struct loom_dll2_owner {
	struct loom_dll2 *head;		/**< first member or NULL */
	struct loom_dll2 *tail;		/**< last member or NULL */
	unsigned int count;		/**< members on the list */
};

/** loom_container_of() - the object that contains \p ptr as member \p member */
#define loom_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/** loom_dll2_is_detached() - nonzero if \p d is on no list */
#define loom_dll2_is_detached(d) ((d)->owner == NULL)

/** loom_dll2_clear() - mark a member as on no list */
void
loom_dll2_clear(struct loom_dll2 *d);

/** loom_dll2_owner_clear() - make an empty list */
void
loom_dll2_owner_clear(struct loom_dll2_owner *o);

/** loom_dll2_add_head() - put \p d first on \p o (it must be detached) */
void
loom_dll2_add_head(struct loom_dll2 *d, struct loom_dll2_owner *o);

/** loom_dll2_add_tail() - put \p d last on \p o (it must be detached) */
void
loom_dll2_add_tail(struct loom_dll2 *d, struct loom_dll2_owner *o);

/** loom_dll2_add_before() - put detached \p d just before \p after (on a list) */
void
loom_dll2_add_before(struct loom_dll2 *d, struct loom_dll2 *after);

/** loom_dll2_remove() - take \p d off its list; harmless if detached */
void
loom_dll2_remove(struct loom_dll2 *d);

/**
 * loom_dll2_add_sorted() - insert \p d in ascending order by \p compare
 * \param d: the member to insert (detached, or it is moved)
 * \param o: the list
 * \param compare: negative if a sorts before b; equal items keep insertion order
 */
void
loom_dll2_add_sorted(struct loom_dll2 *d, struct loom_dll2_owner *o,
		     int (*compare)(const struct loom_dll2 *a, const struct loom_dll2 *b));

/**
 * loom_dll2_foreach_safe() - call \p cb on every member, head to tail; the callback
 * may remove (and free) the member it is given. Stops early, returning its value,
 * when the callback returns nonzero.
 */
int
loom_dll2_foreach_safe(struct loom_dll2_owner *o, void *user,
		       int (*cb)(struct loom_dll2 *d, void *user));

/** loom_start_foreach_dll_safe() / loom_end_foreach_dll_safe(): an inline walk
 * where the body may remove the current member \p it */
#define loom_start_foreach_dll_safe(_start, _it, _tmp) do { \
	struct loom_dll2 *_it = (_start), *_tmp; \
	while (_it) { _tmp = _it->next;
/** closes a loom_start_foreach_dll_safe() walk */
#define loom_end_foreach_dll_safe(_it, _tmp) _it = _tmp; } } while (0)
/** @} */

#endif
