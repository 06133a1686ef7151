/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * filter_maps.h - the rule->map contract: what the agent's rule compilers
 * write into BPF maps and what the BPF programs read, key and value types
 * shared by both sides.  The kernel side is a conservative pre-filter: it may
 * let an event through that no rule matches (the agent's matcher decides),
 * but it must never drop one that a rule could match.
 *
 * exec: no pre-filter.  Every exec is sent, because the agent's process
 *       cache needs each program's path for parent_exe / ancestor_exe.
 *       Exec *block* rules are decided in the kernel (section "The
 *       guards" at the end), where BPF LSM lets custos refuse an exec.
 */
#ifndef CUSTOS_FILTER_MAPS_H
#define CUSTOS_FILTER_MAPS_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#define PROC_LABEL_MAX 16	/* label slots per process (section "Per-process state") */
#define PROC_CLASS_MAX 64	/* lineage classes (bits of ev_header.lineage) */

/*
 * file: the open pre-filter (bpf/prefilter.bpf.h reads, user/filters/file.c
 * writes).
 *
 * The compiler turns each enabled `on: file` rule's `path` globs into one of:
 *   - a watched directory, a scope: the glob's longest literal directory
 *     prefix ("/root/.aws/credentials" -> /root/.aws, "/home/STAR/.ssh/id_STAR"
 *     -> /home).  The agent stat()s it; when it does not exist yet, the
 *     basename or suffix below is used if the glob has one, else the nearest
 *     existing ancestor is watched (over-reports a little, never misses a
 *     directory created later).  Its identity goes into file_watch_ids with
 *     FILE_WATCH_SCOPE.  When the prefix lies more than one level above the
 *     file and the glob has a basename or suffix ("/home/STAR/.aws/credentials"),
 *     that is used instead.
 *   - a basename ("STARSTAR/.env" -> ".env") in file_watch_names, when the glob
 *     has no useful prefix (or only "/" exists of it) and its last component
 *     is a literal of less than FILE_NAME_KEY bytes;
 *   - a suffix ("STARSTAR/STAR.pem" -> ".pem") in file_watch_suffixes, when the
 *     last component is STAR followed by a literal; a literal longer than
 *     FILE_SUFFIX_MAX keeps its last FILE_SUFFIX_MAX bytes (still a superset);
 *   - a directory name ("STARSTAR/.ssh/id_STAR" -> ".ssh") in file_watch_dirnames,
 *     when the last component gives neither: the last literal whole
 *     component before it, which every matching path has as a directory;
 *   - otherwise (a rule without `path`, or a glob none of these covers)
 *     file_cfg.match_all: every open is sent, and the agent warns.
 * (STAR stands for '*': a C comment cannot hold the glob.)
 * And the files themselves, by identity: every existing file a glob matches
 * when the rules load (the agent walks the glob: user/filters/filewalk.c)
 * goes into file_watch_ids with FILE_WATCH_FILE, so that it is known under
 * any other name (a hard link, after a rename, through a bind mount, a
 * chroot, a detached mount, a file handle).  Later ones get there too: the
 * BPF side adds every file an open creates (FMODE_CREATED) under a watched
 * scope, name or suffix (FILE_WATCH_ADDED, before the record is sent, so
 * there is no window), and the agent adds the identity of a file it reports
 * whose path a rule's glob matches (FILE_WATCH_LEARNED).  An identity also
 * carries the inode's generation: an entry whose inode was freed and its
 * number reused by another file does not match it.
 *
 * The BPF side sends an open when
 *   match_all is set, or the file's device has overflowed (file_dev_full), or
 *   the file's own identity is in file_watch_ids, or
 *   its name is in file_watch_names, or ends with one of file_watch_suffixes,
 *   or is in file_watch_dirnames ("/a/evals/STARSTAR" matches "/a/evals"), or
 *   the directory verdict of its parent, or of the mountpoint of any mount
 *   above it up to the top of its mount tree, is not "clean".
 * The directory verdict of a dentry D is "watched" when D or any of its
 * ancestors *in its filesystem* (up to the filesystem's root, so also the
 * ones above a bind mount's root, which the path hides) has an identity in
 * file_watch_ids with FILE_WATCH_SCOPE or a name in file_watch_dirnames;
 * "undecided" when that walk ends at a disconnected root or is cut at
 * FILE_WALK_DEPTH levels (the open is sent: it cannot prove that no watched
 * directory lies above); else "clean".  The walk does not stop at the
 * task's root: a chroot does not hide a watched directory above it.
 * Verdicts are cached in file_verdicts (the BPF side's own): an array of
 * sets indexed by a dentry's address, each set FILE_VERDICT_WAYS words, the
 * most recent first (a new verdict pushes the older one down, so two
 * dentries whose addresses share a set do not evict each other at every
 * open, as they did when each set was one word).  Each word: a tag, a mix of
 * the dentry, its parent, its name's hash and length, its inode,
 * file_cfg.policy and file_topo.gen, or-ed with the verdict.  An opened
 * file's own verdict (its identity, its name, then its directory's) is
 * kept under its dentry, a directory's under its own; mounts are followed
 * live on every open (at most FILE_MOUNT_DEPTH; more: sent), each
 * mountpoint's verdict cached as a directory's.  A cached verdict holds
 * while nothing it was taken for changed:
 *   - file_cfg.policy: the agent bumps it on every write of the maps,
 *     identities it learns included,
 *   - file_topo.gen: the BPF side bumps it after a rename that may have
 *     moved a directory (the tracepoint program at every rename syscall's
 *     exit, of the task's own ABI; under lsm/fentry opt_filetopo__fentry at
 *     vfs_rename's exit when it moved a directory: a file's rename changes
 *     only its own dentry's parent and name, which its tag holds),
 *   - the dentry, its parent, name and inode: a name unlinked and made
 *     again (a hard link in its place), a directory removed and another
 *     made where the address is reused, is not taken for it;
 * and only when file_cfg.dir_cache says the rename hook is in place.  A
 * verdict of a dentry its filesystem revalidates and may move (network
 * filesystems, FUSE) is never cached, nor one that ended at a
 * disconnected dentry.  Identities the BPF side adds are of new inodes,
 * under new dentries: no verdict to invalidate.
 * The agent's rule matcher makes the decision on the reported paths and
 * the identity.
 *
 * Cheap checks first (file_cfg): a hash lookup runs only when the
 * name's length is one some watched name has (name_lens, dirname_lens,
 * suffix_lens) and a bit of a bloom filter says it may be there:
 *   - names, directory names, suffixes: bit file_bloom_name(n, a, z) of
 *     name_bloom / dirname_bloom / suffix_bloom, where n is the length and
 *     a, z the first and last byte of the name or suffix, except that a name
 *     of more than FILE_SUFFIX_MAX bytes uses its byte at len -
 *     FILE_SUFFIX_MAX for a (the BPF side reads only a name's last
 *     FILE_SUFFIX_MAX bytes to decide, in one read);
 *   - scopes: a directory walk on a device whose bit file_bloom_dev(dev)
 *     is not in scope_devs reads no inode and looks up no identity;
 *   - identities: element file_bloom_ident(dev, ino) of file_ident_bloom,
 *     one byte per element so that the BPF side can set one with a plain
 *     store (an identity it adds) without losing another's; set, never
 *     cleared while the agent runs.
 * A bloom bit set by mistake costs a lookup, never a missed open.
 *
 * Bounds: file_watch_ids holds FILE_IDS_MAX identities.  When an identity
 * does not fit (the agent's at load, the BPF side's at create time), its
 * device's element of file_dev_full is set (file_bloom_dev(dev)): every
 * open on that device is then sent, and the agent, which keeps every
 * identity it knows in its own table, decides (counted: STAT_FILE_IDS_FULL,
 * `custos status`; logged).
 *
 * Reload: the agent adds the new entries first, then deletes the stale
 * ones, and updates file_cfg last, so no open is missed in between (while
 * both sets are in the maps, file_cfg holds the union of both: or-ed masks
 * and bloom bits; policy is bumped at each write).  Identities added by the
 * BPF side or learned by the agent are kept.
 */
#define FILE_WALK_DEPTH 64	/* levels of a directory verdict's walk */
#define FILE_MOUNT_DEPTH 16	/* mounts crossed per open */
#define FILE_NAME_KEY 32	/* basename key, NUL padded: names < 32 bytes */
#define FILE_SUFFIX_MAX 16

/* file_watch_ids key.  dev is the kernel's encoding (sb->s_dev,
 * MAJOR << 20 | MINOR), not st_dev: the agent converts with major()/minor().
 * stat()'s st_dev is not always the superblock's (btrfs gives each subvolume
 * its own), so the agent writes two entries when they differ: one with
 * st_dev, one with the device /proc/self/mountinfo shows for the mount. */
struct file_ident {
	__u64 dev;
	__u64 ino;
};

/* file_watch_ids value */
struct file_watch {
	__u32 gen;		/* the inode's i_generation; 0: any */
	__u16 what;		/* FILE_WATCH_* */
	__u16 pad;
};

enum {
	FILE_WATCH_FILE = 1,	/* the file itself: an open of it is sent */
	FILE_WATCH_SCOPE = 2,	/* a watched directory: opens below it are sent */
	FILE_WATCH_ADDED = 4,	/* added by the BPF side (created under a scope) */
	FILE_WATCH_LEARNED = 8,	/* added by the agent from a record */
};

/* file_watch_names and file_watch_dirnames key: a name, NUL padded. */
struct file_name_key {
	char name[FILE_NAME_KEY];
};

/* file_watch_suffixes key: the last len bytes of a name, NUL padded. */
struct file_suffix_key {
	__u32 len;		/* 1 .. FILE_SUFFIX_MAX */
	char s[FILE_SUFFIX_MAX];
};

/* file_verdicts element: a verdict's tag or-ed with the verdict (FILE_DIR_*,
 * or 4: the file's own identity is watched, 5: its own name is, or it is a
 * watched directory itself) in its low FILE_VERDICT_MASK bits; 0: none. */
#define FILE_VERDICT_MASK 7
#define FILE_VERDICT_WAYS 4		/* verdict words per set (half a cache line) */
#define FILE_VERDICT_SETS 16384		/* elements (sets) of file_verdicts */

struct file_verdict_set {
	__u64 way[FILE_VERDICT_WAYS];	/* way[0] the most recently put */
};

enum {
	FILE_DIR_CLEAN = 1,	/* nothing watched at or above */
	FILE_DIR_WATCHED = 2,	/* a watched scope or directory name at or above */
	FILE_DIR_UNDECIDED = 3,	/* disconnected, or deeper than FILE_WALK_DEPTH */
};

/*
 * guard_trees (BPF-only, fileguard.bpf.h): the file guard's tree bits of a
 * directory and its ancestors in its filesystem (the or of their
 * fileguard_ids tree_* bits), cached by the directory's address, so that
 * an open matched by a label or block rule with DIR/STARSTAR does not walk
 * every level above it: the open's own identity, then one cached word per
 * mount it crosses.  The tag is verdict_tag() of the dentry (its parent,
 * name and inode) with guard_conf.epoch and file_topo.gen: a rename that
 * may have moved a directory, and every write of the guard's maps, make
 * every entry stale.  check is a mix of the other three words: a reader
 * that meets a half-written entry (two CPUs filling one set) takes it for
 * a miss.  Not cached: a walk that ends at a disconnected dentry or is cut
 * short (nothing proven), a directory its filesystem revalidates, and
 * anything while file_cfg.dir_cache says the rename hook is not in place.
 * Identities the BPF side adds (fileguard_add) are of files it created:
 * no directory's cached bits can hold them.
 */
struct guard_tree_way {
	__u64 tag;
	__u64 when;		/* tree_when of the directory and its ancestors */
	__u64 unless;		/* tree_unless */
	__u64 check;
};

#define GUARD_TREE_SETS 8192		/* elements of guard_trees */

/* file_topo[0]: the generation of the dentry tree's shape (BPF-only) */
struct file_topo {
	__u64 gen;
	__u64 mounts;		/* mount-tree changes (delivery.h, path_memo) */
};

#define FILE_BLOOM_BITS 1024
#define FILE_BLOOM_WORDS (FILE_BLOOM_BITS / 64)
#define FILE_IDENT_BLOOM 16384	/* elements of file_ident_bloom */
#define FILE_DEV_SLOTS 64	/* elements of file_dev_full */

/* file_cfg[0] */
struct file_cfg {
	__u32 match_all;	/* 1: send every open */
	__u32 suffix_lens;	/* bit n set: some suffix of n bytes is watched */
	__u32 any_scopes;	/* file_watch_ids holds a FILE_WATCH_SCOPE entry */
	__u32 any_names;	/* file_watch_names is not empty */
	__u32 any_dirnames;	/* file_watch_dirnames is not empty */
	__u32 dir_cache;	/* 1: file_dir_cache may be used (the rename hook runs) */
	__u32 name_lens;	/* bit n set: some watched name has n bytes */
	__u32 dirname_lens;	/* bit n set: some watched directory name has n bytes */
	__u32 policy;		/* bumped by the agent at every write of this */
	__u32 host_mntns;	/* inode of the agent's mount namespace: a walk that
				 * ends at its root is the host's view (EV_VIEW_HOST) */
	__u64 scope_devs;	/* bit file_bloom_dev(dev) of each scope's device */
	__u64 name_bloom[FILE_BLOOM_WORDS];
	__u64 dirname_bloom[FILE_BLOOM_WORDS];
	__u64 suffix_bloom[FILE_BLOOM_WORDS];
};

/* The bloom bit numbers, the same computation on both sides. */
static inline __attribute__((always_inline)) __u32 file_bloom_mix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	return h;
}

static inline __attribute__((always_inline)) __u32 file_bloom_name(__u32 n, __u8 a, __u8 z)
{
	return file_bloom_mix(n * 0x9e3779b1u ^ (__u32)a * 0x85ebca77u ^ (__u32)z * 0xc2b2ae3du) %
	       FILE_BLOOM_BITS;
}

static inline __attribute__((always_inline)) __u32 file_bloom_ident(__u64 dev, __u64 ino)
{
	return file_bloom_mix((__u32)ino * 0x9e3779b1u ^ (__u32)(ino >> 32) * 0x85ebca77u ^
			      (__u32)dev * 0xc2b2ae3du) % FILE_IDENT_BLOOM;
}

static inline __attribute__((always_inline)) __u32 file_bloom_dev(__u64 dev)
{
	return file_bloom_mix((__u32)dev * 0x9e3779b1u ^ (__u32)(dev >> 32)) % FILE_DEV_SLOTS;
}

#define FILE_WATCH_MAX 4096	/* entries per name map */
#define FILE_IDS_MAX 65536	/* entries of file_watch_ids */

/*
 * connect: the egress decision, taken in the cgroup sock_addr programs
 * (bpf/net.bpf.c).  Every enabled `on: connect` rule, in load order, gets a
 * rule slot i < NET_MAX_RULES; each `unless` condition the kernel can
 * evaluate gets a condition slot c < NET_MAX_CONDS.  Every call a hook sees
 * is judged, whatever its protocol: p below is the socket's kind, enum
 * ev_proto (events.h; tcp, udp, udplite, sctp, raw, icmp, packet, or other).
 * For a destination (family, addr, port) the kernel computes
 *
 *   when    = (dest bits of the longest matching net_dest prefix whose port
 *              range holds port | when_any_dest) & proto[p] & active
 *   holds   = cond_valid & (cond dest bits | ~cond_need_dest)
 *                        & (net_exe[current exe (dev, ino)] | ~cond_need_exe)
 *                        & cond_proto[p]
 *   flagged = when minus cond_owner[c] of every c in holds
 *
 * Raw, ping (icmp), packet and unnamed protocols have no port: only port
 * ranges with any_port (patterns without a port) apply to them.
 *
 * flagged & block != 0: the call is refused (EPERM) and reported blocked;
 * else flagged != 0: reported; else nothing.  ev_connect.rule_mask = flagged.
 *
 * Events without a destination (ev_socket, docs/RULES.md "Sockets"):
 *   - a socket made (raw, ping, packet; protocols whose connect no hook
 *     sees): `when.dest` holds only where it names every address (dest_all:
 *     0.0.0.0/0 or ::/0 without a port) or `when.proto` names p itself, an
 *     `unless` dest only where it names every address:
 *       when  = (sock_when | proto_named) & proto[p] & active
 *       holds = as above with cond_dest_all for the cond dest bits
 *   - a source route set (IP_OPTIONS LSRR/SSRR, IPv6 routing header): the
 *     packets go to hops no rule was asked about, so every `when.dest` holds
 *     and no `unless` dest does:
 *       when  = proto[p] & active
 *       holds = as above with 0 for the cond dest bits
 *
 * Fast path: `quiet` (per port range, or-ed like the other bits) names the
 * rule slots that an `unless` condition of dest alone suppresses whatever
 * the process and protocol, so `when & ~quiet` of the looked-up range is
 * already final for them; when nothing is left the program returns after
 * the one lookup (an approved destination: no task read, no exe lookup, no
 * pass over condition slots, not even the check that the caller is the
 * agent, whose own calls are otherwise not judged).  The full computation
 * above runs otherwise, and gives the same result.
 *
 * Labels: a rule (condition) with `labels` holds only for a process that
 * carries one of them (held, the per-process state's labels): when &=
 * OR(label_when[l] for l in held) | ~need_labels, holds likewise with
 * label_unless and cond_need_labels.  Looked up only when a flagged rule
 * needs it.
 *
 * Exact vs "maybe".  The kernel evaluates dest, proto, labels, and `exe` in
 * `unless` (by identity: the executable's inode, so renaming or copying a
 * binary does not carry an exception).  A rule whose conditions use anything else
 * (comm, uid, cgroup, lineage, `exe` in `when`, an exe glob with a wildcard
 * outside its last component) is evaluated loosely: unknown `when` fields
 * count as holding, unknown `unless` conditions as not holding, so the
 * kernel over-reports and the agent's matcher decides.  A block rule must be
 * exact; `custos rules check` and the agent refuse one that is not.
 *
 * Addresses: the LPM key carries the family (4 or 6) before the address so
 * that `::/0` does not cover IPv4.  An IPv4-mapped IPv6 destination
 * (::ffff:a.b.c.d) is looked up twice, as IPv6 and as IPv4, and the bits are
 * or-ed, as the agent's matcher does.  Each prefix entry holds the port
 * ranges of every pattern covering it (shorter prefixes included), since an
 * LPM lookup returns only the longest match.
 */
#define NET_MAX_RULES 64
#define NET_MAX_CONDS 64
#define NET_PORT_RANGES 16
#define NET_PROTOS 8		/* enum ev_proto values: EV_PROTO__COUNT */

/*
 * The egress programs' rodata `net_helpers` (set by the loader from the
 * probe): which helpers every cgroup socket program type offers on this
 * kernel.  Without NET_HELPER_TASK the programs cannot read the task (no
 * executable identity: `unless: exe` does not hold, over-reporting; ppid
 * and start time 0, which the agent fills from its process cache); without
 * NET_HELPER_ID they cannot name the process (pid and comm 0 in a record
 * of a sock_create or setsockopt program).
 */
enum {
	NET_HELPER_TASK = 1,	/* bpf_get_current_task */
	NET_HELPER_ID = 2,	/* bpf_get_current_pid_tgid, bpf_get_current_comm */
};

/* net_dest key: prefixlen counts the family byte: 8 + the pattern's prefix. */
struct net_dest_key {
	__u32 prefixlen;
	__u8 family;		/* 4 or 6 */
	__u8 addr[16];		/* network byte order; IPv4 in the first 4 bytes */
	__u8 pad[3];		/* zero */
};

struct net_port_bits {
	__u16 lo, hi;		/* inclusive, host byte order */
	__u8 any_port;		/* 1: from patterns without a port; only these
				 * apply to a protocol without ports (raw...) */
	__u8 pad[3];
	__u64 when;		/* rule slots whose `when.dest` covers this */
	__u64 unless;		/* condition slots whose `dest` covers this */
	__u64 quiet;		/* rule slots one of whose `unless` conditions is a
				 * dest (no exe, every protocol) covering this */
};

struct net_dest_val {
	__u32 n;		/* used entries of r */
	__u32 pad;
	struct net_port_bits r[NET_PORT_RANGES];
};

/* net_exe key: an executable's identity; dev in the kernel's encoding
 * (major << 20 | minor, as i_sb->s_dev). */
struct net_exe_key {
	__u64 dev;
	__u64 ino;
};

/*
 * DNS names in `dest` (the same decision; docs/RULES.md "Names").  Each
 * distinct name pattern of the connect rules (a name, or "*." and a name)
 * with one of its port ranges gets a name slot n < NET_MAX_NAMES;
 * net_names[n] holds that range with its when/unless/quiet bits (one
 * struct net_port_bits: one range per slot keeps the kernel's pass over the
 * slots free of an inner loop), and dns_names maps the pattern (key: wild 0
 * and the name, or wild 1 and the part after "*.") to its name slots.
 *
 * bpf/dns.bpf.c (cgroup_skb/ingress at the cgroup v2 root) reads the DNS
 * answers that processes receive from a trusted resolver (dns_servers: its
 * address and port; the agent fills it from /etc/resolv.conf and
 * --dns-server), before the socket has them, and binds every A/AAAA
 * address of an answer to the name that was asked (dnsparse.h), in the
 * LRU map dns_bind: the name itself, the name slots it stood for when
 * learned (dns_names[wild 0, name] or-ed with dns_names[wild 1, each
 * suffix after a dot]), net_conf.gen then, and an expiry: now + min(TTL,
 * dns_conf.ttl_max_s) + dns_conf.grace_s.
 *
 * Only answers to a socket that asked: net.bpf.c's connect4/6 and
 * sendmsg4/6 put the socket cookie of a socket of the host's network
 * namespace that connects or sends to a trusted resolver in dns_askers
 * (LRU, DNS_ASKERS sockets); dns.bpf.c binds nothing for a packet whose
 * receiving socket is not there (STAT_DNS_UNASKED).  A resolver's address
 * means nothing in another network namespace (root in a container, or
 * anyone with a user namespace, can serve on 127.0.0.53 there), and a
 * datagram from the resolver's address that answers no question is not an
 * answer.
 *
 * The decision (net.bpf.c): when the longest-prefix lookup leaves a rule
 * flagged and net_conf.any_names, dns_bind[destination] is looked up (and
 * its IPv4 form for ::ffff:a.b.c.d); a binding not expired and of the
 * current gen adds the bits of net_names[n] for each n of its slots whose
 * range holds the port, as a prefix's would.  An address never seen in an answer has no binding and
 * no name holds for it (fail closed).  A record carries the binding's name
 * whatever its slots (ev_connect.name).  On reload the agent rewrites each
 * binding's slots and gen from its name, with the decision off.
 */
#define NET_MAX_NAMES 64
#define DNS_NAME_KEY 256	/* dns_names key: text name, NUL padded */

struct dns_name_key {
	__u32 wild;		/* 1: the pattern is "*." + name */
	char name[DNS_NAME_KEY];
};

struct dns_bind_key {
	__u8 family;		/* 4 or 6 */
	__u8 pad[3];
	__u8 addr[16];		/* network byte order; IPv4 in the first 4 bytes */
};

struct dns_bind_val {
	__u64 expires_ns;	/* bpf_ktime_get_boot_ns() after which it is gone */
	__u64 slots;		/* name slots of name (for gen) */
	__u32 gen;		/* net_conf.gen the slots were computed for */
	__u32 name_len;
	char name[DNS_NAME_KEY];	/* the asked name, lower case, no final dot */
};

/* dns_servers key: a resolver whose answers are trusted; value __u8 1 */
struct dns_server_key {
	__u8 family;		/* 4 or 6 */
	__u8 pad;
	__u16 port;		/* host byte order */
	__u8 addr[16];
};

#define DNS_CONF_PORTS 4
#define DNS_ASKERS 16384	/* dns_askers: sockets that asked a trusted resolver */

/* dns_conf[0] */
struct dns_conf {
	__u32 active;		/* parse answers at all */
	__u32 ttl_max_s;	/* a longer TTL counts as this */
	__u32 grace_s;		/* kept this long after the TTL ran out */
	__u32 any_port;		/* 1: look every source port up in dns_servers */
	__u16 ports[DNS_CONF_PORTS];	/* else only these source ports (0: unused) */
};

/* net_conf[0]: masks over rule slots (r) and condition slots (c). */
struct net_conf {
	__u64 active;		/* r: slots in use */
	__u64 when_any_dest;	/* r: `when` has no dest: every destination */
	__u64 sock_when;	/* r: `when` has no dest, or one naming every address */
	__u64 proto_named;	/* r: `when` has `proto` */
	__u64 block;		/* r: action block */
	__u64 proto[NET_PROTOS]; /* r: `when.proto` allows p (all when absent) */
	__u64 cond_valid;	/* c: slots in use */
	__u64 cond_need_dest;	/* c: the condition has `dest` */
	__u64 cond_need_exe;	/* c: the condition has `exe` */
	__u64 cond_dest_all;	/* c: its `dest` names every address */
	__u64 cond_proto[NET_PROTOS]; /* c: its `proto` allows p (all when absent) */
	__u64 cond_owner[NET_MAX_CONDS]; /* c -> 1 << its rule slot */
	__u32 gen;		/* names the rule set (rule_set_gen()); copied into ev_connect.gen */
	__u32 any_names;	/* some rule's dest names a DNS name: look up dns_bind */
	/* labels (filter_maps.h, "Per-process state"): held = the process's labels */
	__u64 need_labels;	/* r: `when` has labels */
	__u64 cond_need_labels;	/* c: the condition has labels */
	__u64 label_when[PROC_LABEL_MAX];	/* label slot -> r whose `when.labels` lists it */
	__u64 label_unless[PROC_LABEL_MAX];	/* label slot -> c whose `labels` lists it */
};

/*
 * The guards: the exec and file block decisions, taken in BPF LSM hooks.
 * Both read the same kinds of maps (the compiled-table layout below) and
 * compute the same way; they differ in which fields they decide.  Only
 * enabled rules of the guard's kind with `action: block` are compiled; each
 * gets a rule slot i < GUARD_MAX_RULES, each of its `unless` conditions a
 * condition slot c < GUARD_MAX_CONDS.  A block rule the guard cannot decide
 * exactly is refused by `custos rules check` and `custos run` (FILE:LINE:COL
 * and the reason).
 *
 * Per guard, four maps: PREFIX_ids (key struct file_ident, dev in the
 * kernel's encoding), PREFIX_names (key struct file_name_key: a file's own
 * name), both with value struct guard_bits; PREFIX_uids (key __u32 uid,
 * value struct guard_uid_bits); PREFIX_conf[0], struct guard_conf.  A file
 * value of a rule is either
 *   an absolute path without wildcards: resolved by the agent at load and
 *   reload to the identity (dev, ino) of the file there, in PREFIX_ids (as
 *   net_exe: copying or renaming a binary does not carry the rule; a path
 *   that names no file then resolves to nothing, with a warning), or
 *   "STARSTAR/NAME", NAME a literal of less than FILE_NAME_KEY bytes: the
 *   file's own name (its dentry), in PREFIX_names.
 * (STAR stands for '*'.)
 *
 * With f = the bits of the file the hook is about (its identity or-ed with
 * its name's), x / p = those of the acting and the parent executable
 * (mm->exe_file), uid = the uid's bits, a = the access:
 *
 *   when  = active & (f.path_when | t.tree_when | ~need_path)
 *                  & (acc_when[a] | ~need_access)
 *                  & (x.exe_when | ~need_exe) & (p.parent_when | ~need_parent)
 *                  & (uid.when | ~need_uid)
 *   holds = cond_valid & the same per condition slot (the *_unless words,
 *                        cond_need_*, cond_acc[a])
 *   refused = when minus the owner slot cond_owner[c] of every c in holds
 *
 * Reload: PREFIX_conf is switched off (active = 0) first, the maps emptied
 * and refilled, PREFIX_conf written last (a call in between is not refused).
 *
 * exec guard (prefix exec_): bprm_check_security (bpf/execguard.bpf.c,
 * family opt_execguard__lsm); user/filters/exec.c writes.  It decides
 *   exe         the program being executed (bprm->file),
 *   parent_exe  the executable of the caller's parent (real_parent's
 *               mm->exe_file), each a file value as above, and
 *   uid         the caller's real uid;
 *   exe_content the program being executed, or a copy of it: each value an
 *               absolute path without wildcards, whose identity goes into
 *               exec_ids (exe_* bits, as for exe) and whose fingerprint
 *               (exe_head_hash, above) into exec_heads (key struct
 *               exe_head_key, value struct guard_bits: exe_* bits); the
 *               hook fingerprints bprm->buf (the bytes execve() read) and
 *               the file's size when conf.any_heads, so a copy, a memfd
 *               holding the program, or a hardlink is refused.  It refuses
 *               a file crafted to share a listed program's size and first
 *               EXE_HEAD_BYTES too (never lets a copy through);
 * a block rule with any other field is refused, and so is one whose `when`
 * has none of them (it would refuse every exec).  need_path and
 * need_access stay 0, so only the exe, parent_exe and uid terms count
 * (exe_content counts as exe: need_exe, cond_need_exe).
 * refused != 0: the hook returns -EPERM and sends an EV_EXEC with
 * blocked = 1 and rule_mask = refused.
 *
 * Both guards also decide `labels` (the process carries one: label_when /
 * label_unless over its held label slots) and `ancestor_exe` (its lineage
 * classes: lineage_when / lineage_unless over the class slots of
 * ev_header.lineage), each term or-ed over the set bits and ignored by the
 * rules that do not need it, as the other fields.
 *
 * file guard (prefix fileguard_): file_open, decided by file__lsm itself
 * (bpf/fileguard.bpf.h) before it reports the open;
 * user/filters/fileguard.c writes.  Its rules are the file rules with
 * action block (conf.block: the open is refused) and those with set_labels
 * (conf.label: the opening process gets the labels slot_labels[r], in the
 * kernel, before the open returns: every backend decides these, after the
 * pre-filter let the open through).  It decides
 *   path        the opened file, a file value as above (path_*), or
 *               "DIR/STARSTAR", DIR an absolute path without wildcards: the
 *               identity of DIR, in fileguard_ids (tree_*), checked on the
 *               file and every directory above it up to the task's root
 *               (crossing mounts, as the reported path does; at most
 *               FILE_WALK_DEPTH levels: a walk cut short finds nothing),
 *               or-ed into t above;
 *   access      read / write / create, from f_mode (FMODE_READ, FMODE_WRITE,
 *               FMODE_CREATED), any of the listed: acc_when[a] is the or of
 *               acc_read / acc_write / acc_create for the bits of a
 *               (EV_ACC_*), the rules whose access list has one of the open's;
 *   exe, parent_exe  the acting process's executable and its parent's;
 *   uid         the acting task's real uid;
 * a block rule with any other field, or without `path` in `when`, is
 * refused.  refused != 0: the hook returns -EPERM and file__lsm sends the
 * open as an EV_FILE with blocked = 1 and rule_mask = refused (whatever the
 * pre-filter says); else it goes on as before (pre-filter, report).
 */
#define GUARD_MAX_RULES 64
#define GUARD_MAX_CONDS 64
#define GUARD_MAP_MAX 4096	/* entries per map */

/* PREFIX_ids and PREFIX_names values: masks over rule (when) and condition
 * (unless) slots.  A name carries no tree bits; the exec guard's no path
 * or tree bits. */
struct guard_bits {
	__u64 path_when, path_unless;		/* the opened file is it / is named so */
	__u64 tree_when, tree_unless;		/* the file or a directory above it is it */
	__u64 exe_when, exe_unless;		/* the acting (exec: executed) program */
	__u64 parent_when, parent_unless;	/* the parent's executable */
};

/* PREFIX_uids value */
struct guard_uid_bits {
	__u64 when;		/* r */
	__u64 unless;		/* c */
};

/* PREFIX_conf[0]: masks over rule slots (r) and condition slots (c) */
struct guard_conf {
	__u64 active;		/* r: slots in use */
	__u64 need_path, need_access, need_exe, need_parent, need_uid;	/* r: `when` has it */
	__u64 acc_read, acc_write, acc_create;	/* r: `when.access` lists it */
	__u64 cond_valid;	/* c: slots in use */
	__u64 cond_need_path, cond_need_access, cond_need_exe, cond_need_parent,
	      cond_need_uid;	/* c: the condition has it */
	__u64 cond_acc_read, cond_acc_write, cond_acc_create;	/* c */
	__u64 cond_owner[GUARD_MAX_CONDS];	/* c -> 1 << its rule slot */
	__u32 gen;		/* names the rule set (rule_set_gen()); into the record's gen */
	__u32 any_tree;		/* some tree_* bit is set: walk the ancestors */
	__u32 any_heads;	/* exec_heads is not empty: fingerprint the program */
	__u32 epoch;		/* the agent adds 1 at every write of the guard's maps
				 * (guard_trees' tags: a reload's identities are new) */
	__u32 ids_watched;	/* the file guard: every identity with path_when bits is
				 * in file_watch_ids (FILE or SCOPE), checked by the agent
				 * after the pre-filter's write; 0: not shown */
	__u32 pad;
	/* labels and lineage, as net_conf's labels (the per-process state) */
	__u64 need_labels, cond_need_labels;
	__u64 label_when[PROC_LABEL_MAX], label_unless[PROC_LABEL_MAX];
	__u64 need_lineage, cond_need_lineage;	/* `ancestor_exe` */
	__u64 lineage_when[PROC_CLASS_MAX], lineage_unless[PROC_CLASS_MAX];	/* class -> r / c */
	/* the file guard's rules are its block rules and the rules that set labels */
	__u64 block;		/* r: action block: refused */
	__u64 label;		/* r: set_labels: the opening process gets slot_labels[r] */
	__u64 slot_labels[GUARD_MAX_RULES];
};

/* exec_heads key: a program's fingerprint (filter_maps.h, above). */
struct exe_head_key {
	__u64 size;
	__u64 head;
};

/*
 * An executable's fingerprint: its size and a hash of the first
 * EXE_HEAD_BYTES bytes (BINPRM_BUF_SIZE: what execve() reads of the file
 * before it picks a binary handler, bprm->buf, zero padded past the end of
 * a shorter file).  The exec hook computes it from bprm->buf (ev_exec.exe_head),
 * the agent from the file; the same computation on both sides.  Two copies
 * of a program have the same fingerprint; two different programs sharing
 * size and first 256 bytes is what it cannot tell apart, which the agent's
 * content digest then does (docs/RULES.md, "Copies").  0 means unknown.
 */
#define EXE_HEAD_BYTES 256
#define EXE_HEAD_WORDS (EXE_HEAD_BYTES / 8)

static inline __attribute__((always_inline)) __u64 exe_head_step(__u64 h, __u64 w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 31);
}

static inline __attribute__((always_inline)) __u64 exe_head_final(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h ? h : 1;
}

/* The fingerprint's hash of head (EXE_HEAD_BYTES, zero padded) for a file of size bytes. */
static inline __attribute__((always_inline)) __u64 exe_head_hash(const void *head, __u64 size)
{
	__u64 h = size ^ 0xcbf29ce484222325ull;

	for (int i = 0; i < EXE_HEAD_WORDS; i++) {
		__u64 w;

		__builtin_memcpy(&w, (const char *)head + i * 8, 8);
		h = exe_head_step(h, w);
	}
	return exe_head_final(h);
}

/*
 * Per-process state: what a process carries that outlives the agent's
 * process cache, kept by bpf/exec.bpf.c and read into every record's header
 * (ev_header.lineage, events.h).
 *
 * proc_class, key the process's tgid (__u32), value struct proc_class.  A
 * class is one `ancestor_exe` value list of the rules in force; the agent
 * numbers them (a class keeps its number across reloads while a rule names
 * it) and decides which classes a program is of: self.  The kernel keeps
 *   at fork   child.self = parent.self, child.lineage = parent.lineage | parent.self
 *             (only when the parent has an entry: most processes have none)
 *   at exec   lineage |= self, self = 0 (the agent sets the new program's self)
 *   at exit   the entry is deleted (when the last thread is gone)
 * so lineage holds every class an ancestor or a former program of the
 * process was of, at any depth, after every one of them died.  The agent
 * writes self after an exec record, and adds to lineage the classes the
 * kernel could not know yet (a process forked between an exec and the
 * agent's write, or started before the agent: the header of its fork or
 * exec record says what the kernel had).
 *
 * Keyed by tgid, not (tgid, start): the agent writes entries for processes
 * it read from /proc, whose start it knows only in clock ticks.  An entry
 * is that process's when start_ns equals its start_boottime, or start_ns is
 * 0 and start_tick equals start_boottime / PROC_NS_PER_TICK; any other
 * entry under the tgid is a dead process's and counts as none.
 *
 * Bound: PROC_STATE_MAX entries (processes with a class).  A fork that
 * finds no room leaves the child without state and counts STAT_PROC_FULL;
 * the agent reports the count as a loss (where "process-state") and its
 * own process cache is then the only lineage of that process.
 */
#define PROC_STATE_MAX 32768
#define PROC_NS_PER_TICK 10000000ull	/* /proc's clock ticks: USER_HZ 100 */

struct proc_class {
	__u64 start_ns;		/* start_boottime; 0: written from /proc, start_tick decides */
	__u64 start_tick;
	__u64 self;		/* classes of the program it runs */
	__u64 lineage;		/* classes of its ancestors and former programs */
};

/*
 * proc_label, key the process's tgid, value struct proc_label: the
 * data-flow labels it carries.  Written by the kernel only: set by the file
 * program when a label rule fires (the file guard, above), copied to a child
 * at fork, kept across exec, deleted at exit.  A process with no label has
 * no entry.  Slot l (the agent numbers the label names, keeping a name's
 * slot across reloads) is held when its bit is set, label_conf.valid has
 * it, it was set no earlier than label_conf.since_ns[l] (the slot's name
 * changed at that time: older labels in it are another name's) and, with
 * ttl_ns[l], less than ttl_ns[l] ago.  So a reload that drops a label's
 * last rule clears the label's effect everywhere without touching a
 * process's entry.  Held labels go into ev_header.labels.
 */
struct proc_label {
	__u64 start_ns;		/* start_boottime of the process */
	__u64 labels;		/* slots set */
	__u64 set_ns[PROC_LABEL_MAX];	/* boot ns when each was set (a child keeps its parent's) */
};

/* label_conf[0]: the agent writes at load and reload. */
#define LABEL_NAME_KEY 64	/* label_conf.name: a name, NUL padded ("" when longer) */

struct label_conf {
	__u64 valid;		/* slots in use */
	__u64 since_ns[PROC_LABEL_MAX];	/* boot ns: the slot's name since then */
	__u64 ttl_ns[PROC_LABEL_MAX];	/* 0: forever */
	/* the slot's name, for the agent alone: an agent that adopts pinned
	 * programs keeps each name in its slot, and what processes hold of it */
	char name[PROC_LABEL_MAX][LABEL_NAME_KEY];
};

#endif
