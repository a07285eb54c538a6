/**
 * The context a function runs in when the kernel calls it through an operations-table slot.
 * `process`: plain process context with no filesystem lock or transaction of the caller
 * (a GFP_NOFS there needs a reason of its own); `reclaim`: reached from reclaim or writeback,
 * where NOFS is justified; `locked`: the VFS calls it with inode or page locks held, which is a
 * reason by itself; `noio`: the kernel itself runs it where I/O must not recurse (power
 * management), so NOIO there is justified. A slot that is not listed tells nothing, and the
 * function gets no verdict.
 */

export type SlotContext = 'process' | 'reclaim' | 'locked' | 'noio';

export interface SlotInfo { context: SlotContext; why: string }

/** The pseudo-struct under which work functions are recorded, with their queue's kind as the slot. */
export const WORK_SLOT_TYPE = 'workqueue';

const PROCESS_FILE = 'file_operations methods run in the calling task with no filesystem lock held (include/linux/fs.h)';

/**
 * Driver binding: the driver core calls ->probe and ->remove from really_probe() and
 * device_remove() in the binding task or an async-probe worker, holding only device_lock()
 * (drivers/base/dd.c), a lock of driver binding that fs and block I/O reclaim never take.
 */
const bound = (type: string, slots: string[]) => Object.fromEntries(slots.map((s, i) => [s, {
  context: 'process', why: `'${s}' of struct ${type} runs in the binding task, holding only device_lock() (drivers/base/dd.c ${i === 0 ? 'really_probe()' : 'device_remove()'})`,
} as SlotInfo]));

/**
 * Power management: during system sleep pm_restrict_gfp_mask() clears __GFP_IO and __GFP_FS
 * for every allocation (kernel/power/main.c), and runtime PM calls the callbacks of devices on
 * the block I/O path inside memalloc_noio_save() (drivers/base/power/runtime.c rpm_callback());
 * USB reset runs its callbacks in memalloc_noio_save() too (drivers/usb/core/hub.c usb_reset_device()).
 */
const pm = (type: string, slots: string[]) => Object.fromEntries(slots.map((s) => [s, {
  context: 'noio', why: `'${s}' of struct ${type} is a power-management or reset callback, which the kernel runs with I/O reclaim restricted (kernel/power/main.c pm_restrict_gfp_mask(), drivers/base/power/runtime.c rpm_callback())`,
} as SlotInfo]));

const SLOTS: Readonly<Record<string, Readonly<Record<string, SlotInfo>>>> = {
  platform_driver: { ...bound('platform_driver', ['probe', 'remove', 'remove_new']), ...pm('platform_driver', ['suspend', 'resume']) },
  pci_driver: { ...bound('pci_driver', ['probe', 'remove']), ...pm('pci_driver', ['suspend', 'resume']) },
  // The USB core also unbinds and rebinds a driver without reset hooks inside usb_reset_device()'s
  // memalloc_noio_save() (drivers/usb/core/hub.c: a GFP_KERNEL there could deadlock with a mass
  // storage or usbnet device being reset), and after system resume (driver.c usb_resume_complete()):
  // its probe and disconnect may run where I/O is restricted.
  usb_driver: {
    ...Object.fromEntries(['probe', 'disconnect'].map((s) => [s, {
      context: 'noio', why: `'${s}' of struct usb_driver may run inside usb_reset_device()'s memalloc_noio_save() scope, which rebinds drivers without reset hooks (drivers/usb/core/hub.c)`,
    } as SlotInfo])),
    ...pm('usb_driver', ['suspend', 'resume', 'reset_resume', 'pre_reset', 'post_reset']),
  },
  i2c_driver: bound('i2c_driver', ['probe', 'remove']),
  ...Object.fromEntries(
    ['xenbus_driver', 'vio_driver', 'pnp_driver', 'nd_device_driver', 'amba_driver', 'mdio_driver', 'phy_driver', 'auxiliary_driver', 'rpmsg_driver',
      'sdw_driver', 'i3c_driver', 'mei_cl_driver', 'hv_driver', 'ccw_driver', 'pcmcia_driver', 'usb_device_driver', 'fsl_mc_driver', 'ssb_driver',
      'bcma_driver', 'mipi_dsi_driver', 'wmi_driver', 'ulpi_driver', 'vdpa_driver', 'mcb_driver', 'zorro_driver', 'tb_service_driver', 'cdx_driver']
      .map((t) => [t, bound(t, ['probe', 'remove'])]),
  ),
  gameport_driver: bound('gameport_driver', ['connect', 'disconnect']),
  spi_driver: bound('spi_driver', ['probe', 'remove']),
  hid_driver: { ...bound('hid_driver', ['probe', 'remove']), ...pm('hid_driver', ['suspend', 'resume', 'reset_resume']) },
  virtio_driver: { ...bound('virtio_driver', ['probe', 'remove']), ...pm('virtio_driver', ['freeze', 'restore']) },
  serio_driver: bound('serio_driver', ['connect', 'disconnect']),
  sdio_driver: bound('sdio_driver', ['probe', 'remove']),
  // Initcalls run from do_one_initcall() in the boot task, or from do_init_module() in the
  // loading task, and module_exit from delete_module() after module_mutex is dropped: process
  // context, no lock held (init/main.c, kernel/module/main.c). The pseudo-struct `initcall` is
  // what extract.ts records for `module_init(foo_init);` at file scope.
  initcall: Object.fromEntries(
    ['module_init', 'module_exit', ...['pure', 'early', 'core', 'postcore', 'arch', 'subsys', 'fs', 'rootfs', 'device', 'late'].flatMap((l) => [`${l}_initcall`, `${l}_initcall_sync`])]
      .map((s) => [s, { context: 'process', why: `'${s}()' registers an initcall or module exit, which runs in the loading task with no lock held (init/main.c do_one_initcall(), kernel/module/main.c)` } as SlotInfo]),
  ),
  // Work functions, recorded by the program stage from INIT_WORK() and the queues their work is
  // queued on (src/model/workqueues.ts): slot `plain` or `reclaim`.
  [WORK_SLOT_TYPE]: {
    plain: { context: 'process', why: 'work queued only on workqueues without WQ_MEM_RECLAIM runs in a kworker with no lock of the code that queued it, and reclaim never waits for it (kernel/workqueue.c process_one_work(), check_flush_dependency())' },
    reclaim: { context: 'reclaim', why: 'work queued on a WQ_MEM_RECLAIM workqueue is what memory reclaim may wait for (Documentation/core-api/workqueue.rst)' },
  },
  dev_pm_ops: pm('dev_pm_ops', [
    'prepare', 'complete', 'suspend', 'resume', 'freeze', 'thaw', 'poweroff', 'restore', 'suspend_late', 'resume_early', 'freeze_late', 'thaw_early',
    'poweroff_late', 'restore_early', 'suspend_noirq', 'resume_noirq', 'freeze_noirq', 'thaw_noirq', 'poweroff_noirq', 'restore_noirq',
    'runtime_suspend', 'runtime_resume', 'runtime_idle',
  ]),
  file_operations: {
    iterate_shared: { context: 'locked', why: "'iterate_shared' runs under the directory's i_rwsem (fs/readdir.c iterate_dir())" },
    ...Object.fromEntries(
    ['read', 'write', 'read_iter', 'write_iter', 'unlocked_ioctl', 'compat_ioctl', 'open', 'release', 'llseek', 'mmap', 'flush', 'poll', 'fallocate', 'show_fdinfo', 'copy_file_range', 'remap_file_range', 'splice_read', 'splice_write']
      .map((s) => [s, { context: 'process', why: `'${s}' of struct file_operations: ${PROCESS_FILE}` } as SlotInfo]),
    ),
  },
  address_space_operations: {
    writepage: { context: 'reclaim', why: "'writepage' is called from reclaim and writeback (mm/vmscan.c pageout())" },
    writepages: { context: 'reclaim', why: "'writepages' runs from writeback, which reclaim waits on (mm/page-writeback.c)" },
    release_folio: { context: 'reclaim', why: "'release_folio' is called from reclaim (mm/vmscan.c)" },
    releasepage: { context: 'reclaim', why: "'releasepage' is called from reclaim (mm/vmscan.c)" },
    invalidate_folio: { context: 'locked', why: "'invalidate_folio' runs with the folio locked" },
    invalidatepage: { context: 'locked', why: "'invalidatepage' runs with the page locked" },
    launder_folio: { context: 'reclaim', why: "'launder_folio' writes back a locked folio" },
    dirty_folio: { context: 'locked', why: "'dirty_folio' may run under the folio lock or a spinlock" },
    read_folio: { context: 'locked', why: "'read_folio' runs with the folio locked" },
    readpage: { context: 'locked', why: "'readpage' runs with the page locked" },
    readahead: { context: 'locked', why: "'readahead' runs with the readahead folios locked" },
    write_begin: { context: 'locked', why: "'write_begin' runs under the inode lock of the writer" },
    write_end: { context: 'locked', why: "'write_end' runs with the folio locked" },
    migrate_folio: { context: 'locked', why: "'migrate_folio' runs with the folios locked" },
    swap_activate: { context: 'locked', why: "'swap_activate' runs under swapon's locks" },
  },
  super_operations: {
    evict_inode: { context: 'reclaim', why: "'evict_inode' runs from inode reclaim (fs/inode.c prune_icache_sb())" },
    drop_inode: { context: 'reclaim', why: "'drop_inode' runs under the inode spinlock during iput()" },
    destroy_inode: { context: 'reclaim', why: "'destroy_inode' runs from inode reclaim" },
    free_inode: { context: 'reclaim', why: "'free_inode' runs from RCU callbacks after reclaim" },
    write_inode: { context: 'reclaim', why: "'write_inode' runs from writeback" },
    dirty_inode: { context: 'locked', why: "'dirty_inode' may run inside a transaction" },
    put_super: { context: 'locked', why: "'put_super' runs under s_umount" },
    sync_fs: { context: 'locked', why: "'sync_fs' runs under s_umount" },
    freeze_fs: { context: 'locked', why: "'freeze_fs' runs under s_umount" },
    nr_cached_objects: { context: 'reclaim', why: "'nr_cached_objects' is a shrinker callback" },
    free_cached_objects: { context: 'reclaim', why: "'free_cached_objects' is a shrinker callback" },
  },
  shrinker: {
    count_objects: { context: 'reclaim', why: "'count_objects' is a shrinker callback (include/linux/shrinker.h)" },
    scan_objects: { context: 'reclaim', why: "'scan_objects' is a shrinker callback (include/linux/shrinker.h)" },
  },
  // /proc files: fs/proc/inode.c proc_reg_read() and friends call these in the reading task,
  // holding only a use count of the entry (use_pde()), no lock.
  proc_ops: Object.fromEntries(
    ['proc_open', 'proc_read', 'proc_read_iter', 'proc_write', 'proc_lseek', 'proc_release', 'proc_poll', 'proc_ioctl', 'proc_compat_ioctl', 'proc_mmap']
      .map((s) => [s, { context: 'process', why: `'${s}' of struct proc_ops runs in the calling task with no lock held (fs/proc/inode.c)` } as SlotInfo]),
  ),
  // The block layer calls ->ioctl from blkdev_ioctl() in the calling task without disk locks
  // (block/ioctl.c); ->open and ->release run under disk->open_mutex (block/bdev.c).
  block_device_operations: {
    ioctl: { context: 'process', why: "'ioctl' of struct block_device_operations runs in the calling task with no lock held (block/ioctl.c blkdev_ioctl())" },
    compat_ioctl: { context: 'process', why: "'compat_ioctl' of struct block_device_operations runs in the calling task with no lock held (block/ioctl.c)" },
    open: { context: 'locked', why: "'open' of struct block_device_operations runs under disk->open_mutex (block/bdev.c)" },
    release: { context: 'locked', why: "'release' of struct block_device_operations runs under disk->open_mutex (block/bdev.c)" },
  },
  // Module parameters: param_attr_store() and parse_args() call ->set under kernel_param_lock()
  // (kernel/params.c), a mutex.
  kernel_param_ops: {
    set: { context: 'locked', why: "'set' of struct kernel_param_ops runs under kernel_param_lock() (kernel/params.c)" },
    get: { context: 'locked', why: "'get' of struct kernel_param_ops runs under kernel_param_lock() (kernel/params.c)" },
  },
  inode_operations: Object.fromEntries(
    ['lookup', 'create', 'link', 'unlink', 'symlink', 'mkdir', 'rmdir', 'mknod', 'rename', 'setattr', 'getattr', 'listxattr', 'tmpfile', 'atomic_open', 'fileattr_set', 'set_acl', 'get_link', 'update_time']
      .map((s) => [s, { context: 'locked', why: `'${s}' of struct inode_operations runs with the VFS inode locks held (Documentation/filesystems/locking.rst)` } as SlotInfo]),
  ),
};

/**
 * Functions handed to a kernel API as a callback argument, recorded under the pseudo-struct
 * `callback` with the API's name as the slot: which argument, and the context the API calls it in.
 * Mounting: get_tree_bdev()/get_tree_nodev()/get_tree_single()/get_tree_keyed() and (6.1)
 * mount_bdev()/mount_nodev() call fill_super on a new superblock with only its s_umount held for
 * write (fs/super.c), which super_cache_scan() merely trylocks.
 */
export const CALLBACK_ARGS: Readonly<Record<string, { arg: number } & SlotInfo>> = Object.fromEntries(
  [['get_tree_bdev', 1], ['get_tree_nodev', 1], ['get_tree_single', 1], ['get_tree_keyed', 1], ['mount_bdev', 4], ['mount_nodev', 3]].map(([api, arg]) => [api as string, {
    arg: arg as number, context: 'process' as const,
    why: `'${api as string}()' calls its fill_super callback on a new superblock holding only its s_umount, which reclaim only trylocks (fs/super.c)`,
  }]),
);
export const CALLBACK_SLOT_TYPE = 'callback';

/** The context of a function stored in `slot` of a `struct structType` initializer. */
export function slotContext(structType: string | undefined, slot: string | undefined): SlotInfo | undefined {
  if (!structType || !slot) return undefined;
  if (structType === CALLBACK_SLOT_TYPE) return Object.hasOwn(CALLBACK_ARGS, slot) ? CALLBACK_ARGS[slot] : undefined;
  return SLOTS[structType]?.[slot];
}

/**
 * Functions that run before any allocation may block: start_kernel() runs with interrupts off,
 * and until kernel_init_freeable() sets gfp_allowed_mask to __GFP_BITS_MASK (init/main.c) every
 * allocation is masked with GFP_BOOT_MASK, without __GFP_DIRECT_RECLAIM (mm/page_alloc.c,
 * mm/internal.h), so nothing start_kernel() calls sleeps in the allocator.
 */
export const EARLY_BOOT: ReadonlySet<string> = new Set(['start_kernel']);

/**
 * Filesystems, memory management, the block layer, and storage and network-filesystem drivers:
 * the code whose work reclaim and writeback may end up waiting for.
 */
export const STORAGE_CODE = /^(?:.*\/)?(fs|mm|block|drivers\/(md|block|scsi|nvme|mtd)|net\/(ceph|9p|sunrpc|rxrpc))\//;

/**
 * Function names of writeback and reclaim paths (->writepage(s), shrinkers, eviction, swap),
 * where reclaim recursion into the fs or block layer is the hazard NOFS exists for (spec §6(e), §6(g)).
 */
export const RECLAIM_PATH_NAME = /writepage|writeback|shrink|evict|reclaim|_wb_|flush_work|swap_/;

/**
 * Types of a live transaction or journal handle: holding one is a reason for NOFS (spec §5).
 * reiserfs (6.1, 6.12): journal_begin() opens no memalloc scope (fs/reiserfs/journal.c).
 */
export const TRANSACTION_HANDLE_TYPE = /\b(handle_t|struct\s+(btrfs_trans_handle|xfs_trans|jbd2_journal_handle|bch_fs_trans|btree_trans|reiserfs_transaction_handle))\s*\*/;
