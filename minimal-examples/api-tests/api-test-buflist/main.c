/*
 * api-test-buflist: segment chains: append return values, segment use (partial and
 * whole), total length, linear copy/use across segments, and a seeded model test.
 */
#include <loom.h>
#include <stdlib.h>
#include <string.h>

#include "loom-test.h"

static void
fill(uint8_t *p, size_t len, unsigned int base)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(base + i * 13);
}

static void
test_basics(void)
{
	struct loom_buflist *bl = NULL;
	uint8_t a[10], b[5], c[20], out[64], *p;
	size_t n;

	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 100);
	fill(c, sizeof(c), 200);

	/* empty list */
	p = (uint8_t *)1;
	LT_CHECK_EQ(loom_buflist_next_segment_len(&bl, &p), 0);
	LT_CHECK(p == NULL);
	LT_CHECK_EQ(loom_buflist_next_segment_len(&bl, NULL), 0);
	LT_CHECK_EQ(loom_buflist_total_len(&bl), 0);
	LT_CHECK_EQ(loom_buflist_segment_count(&bl), 0);
	LT_CHECK_EQ(loom_buflist_use_segment(&bl, 5), 0);
	LT_CHECK_EQ(loom_buflist_linear_copy(&bl, 0, out, sizeof(out)), 0);
	LT_CHECK_EQ(loom_buflist_linear_use(&bl, out, sizeof(out)), 0);

	/* append: 1 when it was empty, 0 after, EINVAL for nothing */
	LT_CHECK_EQ(loom_buflist_append_segment(&bl, a, 0), LOOM_EINVAL);
	LT_CHECK(bl == NULL);
	LT_CHECK_EQ(loom_buflist_append_segment(&bl, a, sizeof(a)), 1);
	LT_CHECK_EQ(loom_buflist_append_segment(&bl, b, sizeof(b)), 0);
	LT_CHECK_EQ(loom_buflist_append_segment(&bl, b, 0), LOOM_EINVAL);
	LT_CHECK_EQ(loom_buflist_append_segment(&bl, c, sizeof(c)), 0);
	LT_CHECK_EQ(loom_buflist_segment_count(&bl), 3);
	LT_CHECK_EQ(loom_buflist_total_len(&bl), 35);

	/* the data was copied: changing the source does not change the list */
	{
		uint8_t orig = a[0];

		a[0] = (uint8_t)(orig + 1);
		n = loom_buflist_next_segment_len(&bl, &p);
		LT_CHECK_EQ(n, 10);
		LT_CHECK(p && p[0] == orig && !memcmp(p + 1, a + 1, 9));
		a[0] = orig;
	}

	/* partial use of the first segment */
	LT_CHECK_EQ(loom_buflist_use_segment(&bl, 4), 6);
	n = loom_buflist_next_segment_len(&bl, &p);
	LT_CHECK_EQ(n, 6);
	LT_CHECK(!memcmp(p, a + 4, 6));
	LT_CHECK_EQ(loom_buflist_total_len(&bl), 31);
	LT_CHECK_EQ(loom_buflist_segment_count(&bl), 3);

	/* linear copy with an offset inside seg 1, across seg 2 into seg 3 */
	memset(out, 0, sizeof(out));
	LT_CHECK_EQ(loom_buflist_linear_copy(&bl, 3, out, 10), 10);
	LT_CHECK(!memcmp(out, a + 7, 3));
	LT_CHECK(!memcmp(out + 3, b, 5));
	LT_CHECK(!memcmp(out + 8, c, 2));
	/* an offset exactly at a segment boundary, and one past the end */
	LT_CHECK_EQ(loom_buflist_linear_copy(&bl, 11, out, 64), 20);
	LT_CHECK(!memcmp(out, c, 20));
	LT_CHECK_EQ(loom_buflist_linear_copy(&bl, 31, out, 64), 0);
	LT_CHECK_EQ(loom_buflist_linear_copy(&bl, 500, out, 64), 0);
	/* short copy near the end */
	LT_CHECK_EQ(loom_buflist_linear_copy(&bl, 29, out, 64), 2);
	LT_CHECK(!memcmp(out, c + 18, 2));
	/* copy consumed nothing */
	LT_CHECK_EQ(loom_buflist_total_len(&bl), 31);

	/* using more than the segment holds: only the segment goes */
	LT_CHECK_EQ(loom_buflist_use_segment(&bl, 1000), 0);
	LT_CHECK_EQ(loom_buflist_segment_count(&bl), 2);
	n = loom_buflist_next_segment_len(&bl, &p);
	LT_CHECK_EQ(n, 5);
	LT_CHECK(!memcmp(p, b, 5));
	/* whole use of a segment frees it */
	LT_CHECK_EQ(loom_buflist_use_segment(&bl, 5), 0);
	LT_CHECK_EQ(loom_buflist_segment_count(&bl), 1);
	LT_CHECK_EQ(loom_buflist_total_len(&bl), 20);

	/* linear use across segments */
	LT_CHECK_EQ(loom_buflist_append_segment(&bl, a, sizeof(a)), 0);
	LT_CHECK_EQ(loom_buflist_linear_use(&bl, out, 25), 25);
	LT_CHECK(!memcmp(out, c, 20) && !memcmp(out + 20, a, 5));
	LT_CHECK_EQ(loom_buflist_segment_count(&bl), 1);
	LT_CHECK_EQ(loom_buflist_total_len(&bl), 5);
	/* asking for more than there is gives what there is and empties the list */
	LT_CHECK_EQ(loom_buflist_linear_use(&bl, out, 64), 5);
	LT_CHECK(!memcmp(out, a + 5, 5));
	LT_CHECK(bl == NULL);
	/* after emptying, append says "was empty" again */
	LT_CHECK_EQ(loom_buflist_append_segment(&bl, b, sizeof(b)), 1);

	/* destroy_all frees everything and leaves an empty list */
	LT_CHECK_EQ(loom_buflist_append_segment(&bl, c, sizeof(c)), 0);
	loom_buflist_use_segment(&bl, 2);
	loom_buflist_destroy_all_segments(&bl);
	LT_CHECK(bl == NULL);
	LT_CHECK_EQ(loom_buflist_total_len(&bl), 0);
	loom_buflist_destroy_all_segments(&bl);	/* on an empty list: harmless */
	LT_CHECK(bl == NULL);
}

/*
 * Random operations on the buflist and on a flat reference array; after each one
 * the two must hold the same unused bytes.
 */
static void
test_model(void)
{
	enum { CAP = 1 << 16, OPS = 20000 };
	uint8_t *ref = malloc(CAP), *tmp = malloc(CAP), *src = malloc(4096);
	struct loom_buflist *bl = NULL;
	size_t ref_len = 0, ref_first = 0;	/* bytes left in the first segment */
	size_t seg_lens[1024];
	unsigned int nseg = 0, seed = 0x1234567u, op, mismatches = 0;

	if (!ref || !tmp || !src) {
		LT_CHECK(0);
		goto out;
	}
	for (op = 0; op < OPS; op++) {
		size_t len, ofs, n, want;
		int r;

		seed = seed * 1664525u + 1013904223u;
		switch ((seed >> 24) % 6) {
		case 0:
		case 1: /* append 1..4096 */
			len = 1 + (seed >> 4) % 4096;
			if (ref_len + len > CAP || nseg == 1024)
				break;
			fill(src, len, seed);
			r = loom_buflist_append_segment(&bl, src, len);
			if (r != (ref_len ? 0 : 1))
				mismatches++;
			memcpy(ref + ref_len, src, len);
			ref_len += len;
			seg_lens[nseg++] = len;
			if (nseg == 1)
				ref_first = len;
			break;
		case 2: /* use part or all of the first segment */
			if (!nseg)
				break;
			len = (seed >> 4) % (ref_first + 3);
			n = loom_buflist_use_segment(&bl, len);
			if (len > ref_first)
				len = ref_first;
			ref_first -= len;
			if (n != ref_first)
				mismatches++;
			memmove(ref, ref + len, ref_len - len);
			ref_len -= len;
			if (!ref_first) {
				memmove(seg_lens, seg_lens + 1, (nseg - 1) * sizeof(seg_lens[0]));
				nseg--;
				ref_first = nseg ? seg_lens[0] : 0;
			}
			break;
		case 3: /* linear use across segments */
			want = (seed >> 4) % 9000;
			n = loom_buflist_linear_use(&bl, tmp, want);
			if (n != (want < ref_len ? want : ref_len) || memcmp(tmp, ref, n))
				mismatches++;
			memmove(ref, ref + n, ref_len - n);
			ref_len -= n;
			/* update the segment model */
			while (n && nseg) {
				if (n >= ref_first) {
					n -= ref_first;
					memmove(seg_lens, seg_lens + 1,
						(nseg - 1) * sizeof(seg_lens[0]));
					nseg--;
					ref_first = nseg ? seg_lens[0] : 0;
				} else {
					ref_first -= n;
					n = 0;
				}
			}
			break;
		case 4: /* linear copy from an offset */
			ofs = ref_len ? (seed >> 3) % (ref_len + 10) : 0;
			want = (seed >> 9) % 9000;
			n = loom_buflist_linear_copy(&bl, ofs, tmp, want);
			len = ofs < ref_len ? ref_len - ofs : 0;
			if (len > want)
				len = want;
			if (n != len || (n && memcmp(tmp, ref + ofs, n)))
				mismatches++;
			break;
		default: /* now and then start again */
			if ((seed >> 4) % 50)
				break;
			loom_buflist_destroy_all_segments(&bl);
			ref_len = ref_first = 0;
			nseg = 0;
			break;
		}
		/* invariants after every op */
		{
			uint8_t *p;

			if (loom_buflist_total_len(&bl) != ref_len ||
			    loom_buflist_segment_count(&bl) != nseg ||
			    loom_buflist_next_segment_len(&bl, &p) != ref_first ||
			    (ref_first && memcmp(p, ref, ref_first)) ||
			    (!nseg && bl))
				mismatches++;
		}
		if (mismatches) {
			fprintf(stderr, "model mismatch at op %u\n", op);
			break;
		}
	}
	LT_CHECK_EQ(mismatches, 0);
	LT_CHECK_EQ(op, OPS);
	/* finally the whole content */
	LT_CHECK_EQ(loom_buflist_linear_copy(&bl, 0, tmp, CAP), ref_len);
	LT_CHECK(!memcmp(tmp, ref, ref_len));
	loom_buflist_destroy_all_segments(&bl);
	LT_CHECK(bl == NULL);
out:
	free(ref);
	free(tmp);
	free(src);
}

int
main(void)
{
	test_basics();
	test_model();

	return lt_result("api-test-buflist");
}
