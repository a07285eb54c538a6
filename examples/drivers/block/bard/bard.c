// SPDX-License-Identifier: GPL-2.0
#include <linux/blkdev.h>
#include <linux/slab.h>

struct bard_dev {
	spinlock_t lock;
	void *scratch;
	struct page *page;
};

static int bard_queue_rq(struct bard_dev *bd, unsigned int len)
{
	unsigned long flags;

	spin_lock_irqsave(&bd->lock, flags);
	bd->scratch = kmalloc(len, GFP_NOIO);
	spin_unlock_irqrestore(&bd->lock, flags);
	return bd->scratch ? 0 : -ENOMEM;
}

static int bard_init_page(struct bard_dev *bd)
{
	bd->page = alloc_page(GFP_ATOMIC | __GFP_NOFAIL);
	return 0;
}

static void bard_reset(struct bard_dev *bd)
{
	unsigned int noio_flag = memalloc_noio_save();

	bard_hw_reset(bd);
	memalloc_nofs_restore(noio_flag);
}
