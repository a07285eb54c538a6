// SPDX-License-Identifier: GPL-2.0
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "foofs.h"

#define FOOFS_GFP	(GFP_NOFS | __GFP_ZERO)

static int foofs_fill_bitmap(struct foofs_sb_info *sbi)
{
	sbi->bitmap = vzalloc(sbi->nr_blocks / 8);
	if (!sbi->bitmap)
		return -ENOMEM;
	sbi->table = __vmalloc(sbi->table_size, FOOFS_GFP | __GFP_NOFAIL);
	return 0;
}

static void foofs_put_super(struct foofs_sb_info *sbi)
{
	vfree(sbi->table);
	kfree(sbi->bitmap);
}

static void *foofs_alloc_node(struct foofs_sb_info *sbi, gfp_t gfp)
{
	struct foofs_node *node;

	node = kmem_cache_alloc(sbi->node_cache, GFP_KERNEL);
	if (node)
		node->buf = kmalloc(sbi->node_size, gfp);
	return node;
}
