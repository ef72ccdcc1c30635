/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Index arithmetic of a bounded ring that keeps the newest entries and
 * counts what it had to drop (the recent-exits table). Pure: the unit tests
 * build it for userspace.
 */
#ifndef _TF_RING_H
#define _TF_RING_H

#include <linux/types.h>

struct tf_ring {
	unsigned int size;	/* capacity */
	unsigned int head;	/* next slot to write */
	unsigned int count;	/* entries held, <= size */
	u64 dropped;		/* entries overwritten */
};

/* The slot for a new entry; the oldest is dropped (and counted) when full. */
static inline unsigned int tf_ring_push(struct tf_ring *r)
{
	unsigned int slot = r->head;

	r->head = (r->head + 1) % r->size;
	if (r->count < r->size)
		r->count++;
	else
		r->dropped++;
	return slot;
}

/* The slot of the pos-th entry, oldest first; pos < count. */
static inline unsigned int tf_ring_slot(const struct tf_ring *r,
					unsigned int pos)
{
	return (r->head + r->size - r->count + pos) % r->size;
}

#endif /* _TF_RING_H */
