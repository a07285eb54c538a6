// SPDX-License-Identifier: GPL-2.0
/* A small driver-style file the language server test edits. */
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sched/mm.h>

struct demo_dev {
	spinlock_t lock;
	void *buf;
	void *scratch;
};

static int demo_fill(struct demo_dev *d)
{
	unsigned int nofs = memalloc_nofs_save();

	d->scratch = kmalloc(64, GFP_NOFS);
	memalloc_nofs_restore(nofs);
	return d->scratch ? 0 : -ENOMEM;
}

static int demo_store(struct demo_dev *d)
{
	void *p;

	p = kmalloc(128, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	d->buf = p;
	return 0;
}
