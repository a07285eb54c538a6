// SPDX-License-Identifier: GPL-2.0
/*
 * foofs extended attributes: a small, realistic example tree for gfplint.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/sched/mm.h>
#include "foofs.h"

static int foofs_xattr_get(struct foofs_inode *fi, const char *name, size_t len)
{
	void *value;
	int ret;

	/* Transaction not started yet: a plain GFP_KERNEL would do, but the mask asks for NOFS. */
	value = kvmalloc(len, GFP_KERNEL | GFP_NOFS);
	if (!value)
		return -ENOMEM;
	ret = foofs_read_xattr(fi, name, value, len);
	kfree(value);
	return ret;
}

static int foofs_xattr_set(struct foofs_inode *fi, const void *value, size_t len)
{
	unsigned int nofs_flag;
	void *copy;

	nofs_flag = memalloc_nofs_save();
	copy = kmalloc(len, GFP_KERNEL);
	memalloc_nofs_restore(nofs_flag);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, value, len);
	return foofs_write_xattr(fi, copy, len);
}

static int foofs_xattr_list(struct foofs_inode *fi)
{
	struct foofs_xattr *xa;
	unsigned int nofs_flag;
	int ret = 0;

	nofs_flag = memalloc_nofs_save();
	spin_lock(&fi->xattr_lock);
	list_for_each_entry(xa, &fi->xattrs, list) {
		xa->cache = kzalloc(xa->len, GFP_NOFS);
		if (!xa->cache) {
			ret = -ENOMEM;
			break;
		}
	}
	spin_unlock(&fi->xattr_lock);
	if (ret)
		return ret;
	memalloc_nofs_restore(nofs_flag);
	return 0;
}
