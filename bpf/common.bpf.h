/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * common.bpf.h - BPF-only helpers every hook uses: tunables set by the agent
 * before load, counters, the record header, emit with batched wakeups; and
 * what the deciding programs share: the LSM return, the guards' lookups.
 */
#ifndef CUSTOS_COMMON_BPF_H
#define CUSTOS_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"

/* Kernel constants that vmlinux.h (BTF) does not carry. */
#define EPERM 1
#define MAX_ERRNO 4095		/* include/linux/err.h: the error range */
#define FMODE_READ 0x1		/* include/linux/fs.h, f_mode */
#define FMODE_WRITE 0x2
#define FMODE_CREATED 0x100000

/*
 * Tunables (rodata, set by the agent between open and load).  Defaults mean
 * "filter off" so that the object is usable on its own.
 *   wakeup_bytes  wake the agent when the data waiting in the ring reaches
 *                 this much (the loader caps it at a quarter of the ring);
 *                 below it the agent's short poll timeout picks records up.
 *                 0: the kernel's default (wake on a record into an empty ring).
 * Who the agent is lives in agent_conf (delivery.h), not here: programs
 * pinned in bpffs outlive the agent that loaded them, and the next one
 * tells them its own pid.
 */
extern const volatile __u32 wakeup_bytes;

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/*
 * A scratch slot of this CPU for this run alone (maps.bpf.h): its index,
 * or -1 when every slot is in use (STAT_SCRATCH_BUSY).  The run is
 * preemptible but does not migrate: whoever reads 1 after its own increment
 * is the only owner, since an owner's increment stays until it releases.
 * The fetch-less add is what 5.10's verifier takes; the caller releases
 * with scratch_release() on every path.  Not inlined: its frame stays out
 * of the callers' (5.10 counts 512 bytes across a program's calls).
 */
static __noinline int scratch_claim(void)
{
	for (__u32 i = 0; i < SCRATCH_SLOTS; i++) {
		__u32 k = i;
		struct scratch *s = bpf_map_lookup_elem(&scratch_map, &k);

		if (!s)
			break;
		__sync_fetch_and_add(&s->users, 1);
		if (*(volatile __u64 *)&s->users == 1) {
			s->slot = i;
			return (int)i;
		}
		__sync_fetch_and_add(&s->users, -1);
	}
	stat_inc(STAT_SCRATCH_BUSY);
	return -1;
}

static __always_inline void scratch_release(struct scratch *s)
{
	__sync_fetch_and_add(&s->users, -1);
}

/* Slot slot of this CPU's scratch (claimed by the caller); NULL if none. */
static __always_inline struct scratch *scratch_at(int slot)
{
	__u32 k = (__u32)slot;

	if (k >= SCRATCH_SLOTS)
		return NULL;
	return bpf_map_lookup_elem(&scratch_map, &k);
}

/* Identity of a process: the group leader's start time (ns since boot). */
static __always_inline __u64 task_start_ns(struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	if (bpf_core_field_exists(leader->start_boottime))
		return BPF_CORE_READ(leader, start_boottime);
	return BPF_CORE_READ(leader, start_time);
}

/*
 * The execs task's process made since it forked (delivery.h, exec_seq):
 * an exec increments the task's self_exec_id; a fork sets the child's
 * parent_exec_id to it (a thread takes its creator's).  EXEC_SEQ_MAX from
 * there on, and for no task.
 */
static __always_inline __u8 task_exec_seq(struct task_struct *task)
{
	__u64 n;

	if (!task)
		return EXEC_SEQ_MAX;
	n = BPF_CORE_READ(task, self_exec_id) - BPF_CORE_READ(task, parent_exec_id);
	return exec_seq_clamp(n);
}

/*
 * The per-process state entry of the process (tgid, start_ns), or NULL
 * (filter_maps.h, "Per-process state": an entry of a dead process that had
 * the tgid counts as none).
 */
static __always_inline struct proc_class *proc_class_of(__u32 tgid, __u64 start_ns)
{
	struct proc_class *c = bpf_map_lookup_elem(&proc_class, &tgid);

	if (!c)
		return NULL;
	if (c->start_ns ? c->start_ns != start_ns : c->start_tick != start_ns / PROC_NS_PER_TICK)
		return NULL;
	return c;
}

/*
 * The label slots process (tgid, start_ns) holds now (filter_maps.h,
 * "Per-process state": set, valid, not older than its slot's name, not
 * expired).  A global function, so the verifier checks its loop once, on
 * its own, not once per path of every caller (__weak: every object has it,
 * the linked object keeps one).
 */
__weak __noinline __u64 labels_held(__u32 tgid, __u64 start_ns)
{
	struct proc_label *p = bpf_map_lookup_elem(&proc_label, &tgid);
	__u64 now, held = 0;
	struct label_conf *c;
	__u32 zero = 0;

	if (!p || p->start_ns != start_ns || !p->labels)
		return 0;
	c = bpf_map_lookup_elem(&label_conf, &zero);
	if (!c)
		return 0;
	now = bpf_ktime_get_boot_ns();
	for (int i = 0; i < PROC_LABEL_MAX; i++) {
		__u64 t = p->set_ns[i], ttl = c->ttl_ns[i];

		if (t < c->since_ns[i] || (ttl && now - t >= ttl))
			continue;
		held |= 1ULL << i;
	}
	return held & p->labels & c->valid;
}

/*
 * The or of table[i] over the set bits i of bits (n entries): a condition
 * table (label or class slot -> rule or condition slots).  Branchless, so
 * the verifier walks one path.
 */
static __always_inline __u64 slots_of(__u64 bits, const __u64 *table, int n)
{
	__u64 out = 0;

#pragma clang loop unroll(disable)
	for (int i = 0; i < n && i < 64; i++)
		out |= (0 - ((bits >> i) & 1)) & table[i];
	return out;
}

static __always_inline void header_fill(struct ev_header *h, __u16 type, __u32 size,
					struct task_struct *task)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct proc_class *c;

	h->type = type;
	h->abi = CUSTOS_ABI_VERSION;
	h->size = size;
	h->ts_boot_ns = bpf_ktime_get_boot_ns();
	h->start_ns = task_start_ns(task);
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	c = proc_class_of(h->pid, h->start_ns);
	h->lineage = c ? c->lineage : 0;
	h->labels = labels_held(h->pid, h->start_ns);
}

static __always_inline struct agent_conf *agent_conf_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&agent_conf, &zero);
}

/*
 * Is the current task the agent?  Its pid, and its start time in ticks as
 * /proc shows it: a process that reuses the pid of an agent that died is
 * not the agent, and stays monitored.
 */
static __always_inline int is_agent(void)
{
	struct agent_conf *c = agent_conf_get();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!c || !c->self_tgid || c->self_tgid != tgid || !c->ns_per_tick)
		return 0;
	return task_start_ns((struct task_struct *)bpf_get_current_task()) / c->ns_per_tick ==
	       c->self_start_ticks;
}

#define NS_PER_SEC 1000000000ull

/* Counts a bulk record of type in the file or the connect counter. */
static __always_inline void stat_inc_bulk(__u16 type, __u32 file_idx, __u32 connect_idx)
{
	stat_inc(type == EV_CONNECT ? connect_idx : file_idx);
}

/*
 * repeat_path_hash() of the file record in scratch slot (file.bpf.c builds
 * every ev_file there), len bytes of its path.  A global function in
 * delivery.bpf.c: the verifier walks its loop once, not once per path
 * through the file programs to emit().
 */
extern __u64 scratch_path_hash(__u32 len, int slot);

/* One more event at ts_boot_ns ts in a coalescing window's count. */
static __always_inline void repeat_count(struct repeat_val *v, __u64 ts)
{
	__sync_fetch_and_add(&v->count, 1);
	if (!v->first_ns)
		v->first_ns = ts;
	if (ts > v->last_ns)
		v->last_ns = ts;
}

/* delivery.bpf.c: task_exec_seq() in a frame of its own. */
extern int exec_seq_of(__u64 taskp);

/*
 * Coalescing (delivery.h, 1): 1 when the event was counted in its key's
 * window instead of being sent; 0 when it goes out (the window's first).
 */
static __always_inline int repeat_absorbed(struct repeat_key *k, const struct ev_header *h,
					   __u64 window)
{
	struct repeat_val fresh = {}, *v;

	if (k->exec_seq == EXEC_SEQ_MAX && k->type != EV_IOURING)
		return 0;	/* not told from its next program */
	k->win = (__u32)(h->ts_boot_ns / window);
	v = bpf_map_lookup_elem(&repeats, k);
	if (!v) {
		if (!bpf_map_update_elem(&repeats, k, &fresh, BPF_NOEXIST))
			return 0;
		v = bpf_map_lookup_elem(&repeats, k);	/* another CPU made it */
		if (!v) {
			stat_inc(STAT_REPEAT_FULL);
			return 0;
		}
	}
	repeat_count(v, h->ts_boot_ns);
	stat_inc_bulk(h->type, STAT_REPEAT_FILE, STAT_REPEAT_CONNECT);
	return 1;
}

/* The budget entry (delivery.h, 2) of process tgid started at start_ns;
 * NULL when the map cannot hold it. */
static __always_inline struct limit_val *limit_of_proc(__u64 start_ns, __u32 tgid)
{
	struct limit_key k = { .start_ns = start_ns, .tgid = tgid };
	struct limit_val fresh = {}, *v = bpf_map_lookup_elem(&limits, &k);

	if (v)
		return v;
	bpf_map_update_elem(&limits, &k, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&limits, &k);
}

/* The budget entry of a record's process. */
static __always_inline struct limit_val *limit_of(const struct ev_header *h)
{
	return limit_of_proc(h->start_ns, h->pid);
}

/*
 * loss_count() (delivery.bpf.c): counts one lost record of type under
 * {where, type, mask, gen} in loss_rules, or in STAT_LOSS_UNKEYED_* when
 * the map is full; a global function, verified once, its key off the stack.
 */
extern int loss_count(__u64 mask, __u32 type, __u32 gen, __u32 where);

/*
 * A lost record (data, of type rec, known when compiled) counted in
 * loss_rules (delivery.h): its rule slots and gen are read only here, on
 * the path of a loss.
 */
static __always_inline void loss_note(const void *data, const int rec, __u32 where)
{
	__u64 mask = 0;
	__u16 gen = 0;

	if (rec == EV_EXEC) {
		mask = ((const struct ev_exec *)data)->rule_mask;
		gen = ((const struct ev_exec *)data)->gen;
	} else if (rec == EV_FILE) {
		mask = ((const struct ev_file *)data)->rule_mask;
		gen = ((const struct ev_file *)data)->gen;
	} else if (rec == EV_CONNECT) {
		mask = ((const struct ev_connect *)data)->rule_mask;
		gen = ((const struct ev_connect *)data)->gen;
	} else if (rec == EV_SOCKET) {
		mask = ((const struct ev_socket *)data)->rule_mask;
		gen = ((const struct ev_socket *)data)->gen;
	}
	loss_count(mask, ((const struct ev_header *)data)->type, gen, where);
}

/* Over the per-process limit (delivery.h, 2)?  Counted when it is. */
static __always_inline int limit_exceeded(const void *data, struct limit_val *v, __u32 limit,
					  const int bulk)
{
	const struct ev_header *h = data;
	__u64 win = h->ts_boot_ns / NS_PER_SEC;

	if (!v || !limit)
		return 0;
	if (v->win != win) {	/* a new second (two CPUs may both reset: a few more pass) */
		v->win = win;
		v->n = 0;
	}
	__sync_fetch_and_add(&v->n, 1);
	if (v->n <= limit)
		return 0;
	loss_note(data, bulk, LOSS_AT_LIMIT);	/* before the counters (delivery.h) */
	__sync_fetch_and_add(&v->suppressed, 1);
	stat_inc_bulk(h->type, STAT_LIMIT_FILE, STAT_LIMIT_CONNECT);
	return 1;
}

/* Would a bulk record of size eat into the reserve (delivery.h, 3)? */
static __always_inline int reserve_hit(__u64 size, __u32 pct)
{
	__u64 ring, avail;

	if (!pct)
		return 0;
	ring = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	return avail + size > ring / 100 * (100 - pct);
}

/* A record of type that did not reach the ring: counted by kind (and process). */
static __always_inline void count_drop_type(__u16 type, struct limit_val *v)
{
	stat_inc(STAT_RING_DROPS);
	stat_inc(type == EV_FILE ? STAT_DROPS_FILE :
		 type == EV_CONNECT ? STAT_DROPS_CONNECT :
		 type == EV_SOCKET ? STAT_DROPS_SOCKET :
		 type == EV_EXEC ? STAT_DROPS_EXEC : STAT_DROPS_PROC);
	if (v)
		__sync_fetch_and_add(&v->dropped, 1);
}

/*
 * A record (data, of type rec) that did not reach the ring: counted by its
 * rule slots, by kind (and process).
 */
static __always_inline void count_drop(const void *data, const int rec, struct limit_val *v)
{
	loss_note(data, rec, LOSS_AT_RING);	/* before the counters (delivery.h) */
	count_drop_type(((const struct ev_header *)data)->type, v);
}

/* A record of type the current task's event would have made, lost to busy
 * scratch slots (scratch_claim()): a drop of its kind, counted for its
 * process.  Not inlined, for the callers' stack (scratch_claim()). */
static __noinline void count_unbuilt(__u16 type)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	count_drop_type(type, limit_of_proc(task_start_ns(task), BPF_CORE_READ(task, tgid)));
}

/*
 * The flood checks of delivery.h for a bulk record of type bulk (EV_FILE,
 * EV_CONNECT, EV_IOURING): 1 when it is not to be sent (counted already).
 * *budget: the process's entry, for counting a drop.
 */
static __always_inline int flood_checked(void *data, __u64 size, const int bulk,
					 struct limit_val **budget, int slot)
{
	struct agent_conf *conf = agent_conf_get();
	struct ev_header *h = data;
	struct repeat_key k;
	int refused = 0;

	if (!conf)
		return 0;
	if (bulk == EV_FILE)
		refused = ((struct ev_file *)data)->blocked;
	else if (bulk == EV_CONNECT)
		refused = ((struct ev_connect *)data)->blocked;
	if (conf->repeat_ns) {
		if (bulk == EV_FILE)
			repeat_key_file(data, scratch_path_hash(((struct ev_file *)data)->path_len,
								slot), &k);
		else if (bulk == EV_CONNECT)
			repeat_key_connect(data, &k);
		else
			repeat_key_iouring(data, &k);
		if (repeat_absorbed(&k, h, conf->repeat_ns))
			return 1;
	}
	if (conf->limit || conf->reserve_pct)
		*budget = limit_of(h);
	if (limit_exceeded(data, *budget, conf->limit, bulk))
		return 1;
	if (!refused && reserve_hit(size, conf->reserve_pct)) {
		stat_inc(STAT_RESERVE);
		count_drop(data, bulk, *budget);
		return 1;
	}
	return 0;
}

/* The bulk record type of a record pointer, known when compiled; 0: not bulk. */
#define bulk_type_of(data) _Generic((data), \
	struct ev_file *: EV_FILE, struct ev_connect *: EV_CONNECT, \
	struct ev_iouring *: EV_IOURING, default: 0)

/* The type of a record pointer with rule slots, known when compiled; 0: none. */
#define rec_type_of(data) _Generic((data), \
	struct ev_exec *: EV_EXEC, struct ev_file *: EV_FILE, \
	struct ev_connect *: EV_CONNECT, struct ev_socket *: EV_SOCKET, default: 0)

#define EMIT_SIZE_MASK 16383
_Static_assert(sizeof(struct ev_exec) <= EMIT_SIZE_MASK && sizeof(struct ev_file) <= EMIT_SIZE_MASK &&
	       sizeof(struct ev_connect) <= EMIT_SIZE_MASK, "a record within EMIT_SIZE_MASK");

/*
 * Copies size bytes of data into the ring, after the flood checks for the
 * bulk records; counts what does not get there.  bulk: bulk_type_of(data),
 * a constant, so each program carries only the checks of its own records;
 * rec: rec_type_of(data), a constant too, where a loss reads the rule slots.
 * slot: the scratch slot data is in, for an ev_file (built there always).
 */
static __always_inline void emit_record(void *data, __u64 size, const int bulk, const int rec,
					int slot)
{
	struct limit_val *budget = NULL;
	__u64 flags = 0;

	if (bulk && flood_checked(data, size, bulk, &budget, slot))
		return;
	/*
	 * The kernel's own wakeup (flags 0) fires only for a record written
	 * into an empty ring, which batching never leaves: the record that
	 * takes the waiting data past wakeup_bytes forces the wakeup, the
	 * others ask for none.
	 */
	if (wakeup_bytes) {
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

		flags = avail < wakeup_bytes && avail + size >= wakeup_bytes ?
				BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	}
	/* every record is shorter than EMIT_SIZE_MASK: the mask only gives
	 * verifiers that lost the bound on the way (5.10's) one to keep */
	barrier_var(size);
	size &= EMIT_SIZE_MASK;
	if (bpf_ringbuf_output(&events, data, size, flags))
		count_drop(data, rec, budget);
}

/*
 * emit_scratch_file() (delivery.bpf.c): emit_record() of the ev_file in
 * scratch slot, where the file programs build every one; a global function,
 * so that the verifier walks the flood checks once, not once per path
 * through the file programs.  Records of the other types go through emit().
 */
extern int emit_scratch_file(__u64 size, int slot);

#define emit(data, size) do {							\
	_Static_assert(bulk_type_of(data) != EV_FILE, "emit_scratch_file()");	\
	emit_record((data), (size), bulk_type_of(data), rec_type_of(data), 0);	\
} while (0)

/*
 * The return of a BPF LSM program on a hook where an earlier BPF LSM
 * program already decided ret (non-zero): keep it when it is an error in
 * the LSM range, else refuse with -EPERM.
 */
static __always_inline int lsm_ret(int ret)
{
	return ret < 0 && ret >= -MAX_ERRNO ? ret : -EPERM;
}

/* The identity of inode ino as the guards' and the pre-filter's maps key
 * it (struct file_ident: i_sb->s_dev, the kernel's encoding, and i_ino). */
static __always_inline void inode_ident(struct inode *ino, struct file_ident *id)
{
	id->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	id->ino = BPF_CORE_READ(ino, i_ino);
}

/*
 * The keys the guards look a file up by (filter_maps.h, "The guards"): its
 * identity (inode_ident) and its own name (NUL padded).  0: no file;
 * 1: identity only (the name cannot be a name key); 2: both.
 */
static __always_inline int file_keys(struct file *f, struct file_ident *id,
				     struct file_name_key *nk)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	__u32 len;

	if (!f || !ino)
		return 0;
	inode_ident(ino, id);
	len = BPF_CORE_READ(d, d_name.len);
	if (len == 0 || len >= FILE_NAME_KEY)
		return 1;
	bpf_probe_read_kernel(nk->name, len & (FILE_NAME_KEY - 1), BPF_CORE_READ(d, d_name.name));
	return 2;
}

/*
 * A guard's bits of file f: those of its identity in ids or-ed with those of
 * its own name in names (a name map carries no tree bits).  ids and names
 * are the guard's maps (exec_ids / exec_names, fileguard_ids /
 * fileguard_names).
 */
static __always_inline void guard_bits_of(void *ids, void *names, struct file *f,
					  struct guard_bits *out)
{
	struct file_ident id = {};
	struct file_name_key nk = {};
	struct guard_bits *b;
	int keys = file_keys(f, &id, &nk);

	__builtin_memset(out, 0, sizeof(*out));
	if (!keys)
		return;
	b = bpf_map_lookup_elem(ids, &id);
	if (b)
		*out = *b;
	if (keys < 2)
		return;		/* no name rule can name it */
	b = bpf_map_lookup_elem(names, &nk);
	if (b) {
		out->path_when |= b->path_when;
		out->path_unless |= b->path_unless;
		out->exe_when |= b->exe_when;
		out->exe_unless |= b->exe_unless;
		out->parent_when |= b->parent_when;
		out->parent_unless |= b->parent_unless;
	}
}

/*
 * The labels and lineage terms of a guard's decision (filter_maps.h, "The
 * guards"): when / holds narrowed to the rules and conditions whose labels
 * and ancestor_exe hold for the calling process (looked up only when some
 * rule or condition left needs them).
 */
static __always_inline void guard_state_terms(const struct guard_conf *c, __u32 tgid,
					      __u64 start_ns, __u64 *when, __u64 *holds)
{
	__u64 held, lineage;
	struct proc_class *pc;

	if ((*when & c->need_labels) || (*holds & c->cond_need_labels)) {
		held = labels_held(tgid, start_ns);
		*when &= slots_of(held, c->label_when, PROC_LABEL_MAX) | ~c->need_labels;
		*holds &= slots_of(held, c->label_unless, PROC_LABEL_MAX) | ~c->cond_need_labels;
	}
	if ((*when & c->need_lineage) || (*holds & c->cond_need_lineage)) {
		pc = proc_class_of(tgid, start_ns);
		lineage = pc ? pc->lineage : 0;
		*when &= slots_of(lineage, c->lineage_when, PROC_CLASS_MAX) | ~c->need_lineage;
		*holds &= slots_of(lineage, c->lineage_unless, PROC_CLASS_MAX) |
			  ~c->cond_need_lineage;
	}
}

/*
 * The rule slots that the condition slots in holds suppress: the or of
 * owner[c] (guard_conf.cond_owner) over every c in holds.  A bounded loop
 * (no bpf_loop on 5.10), branchless so the verifier walks one path; not
 * unrolled, which spilled ~480 bytes of stack.
 */
static __always_inline __u64 guard_suppressed(__u64 holds, const __u64 *owner)
{
	__u64 suppress = 0;

#pragma clang loop unroll(disable)
	for (int i = 0; i < GUARD_MAX_CONDS; i++)
		suppress |= (0 - ((holds >> i) & 1)) & owner[i];
	return suppress;
}

/* Socket constants of the file and egress programs (vmlinux.h has none). */
#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17
#define SOCK_PACKET 10		/* obsolete AF_INET packet sockets */

/* Does socket(family, type, ...) make an AF_PACKET socket: AF_PACKET, or
 * the old AF_INET + SOCK_PACKET, which the kernel turns into one? */
static __always_inline int makes_packet_socket(int family, int type)
{
	return family == AF_PACKET || (family == AF_INET && (type & 0xf) == SOCK_PACKET);
}

/*
 * netsock.bpf.c: a socket() attempt that makes an AF_PACKET socket
 * (makes_packet_socket), judged as opt_netpacket's.  Called by the
 * tracepoint backends' syscall-exit program (file.bpf.c, socket_exit) and
 * io_uring submission program (iouring.bpf.c, socket_submitted).
 */
int netpacket_attempt(int type, int protocol);

#endif
