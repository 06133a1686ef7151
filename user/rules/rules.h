/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.h - the rule engine's public side: load (parse, compile), match,
 * and the names and diagnostics that go with them (docs/RULES.md).
 *
 * Pure module: no file I/O, no BPF, no printing.  The caller reads the files
 * (see io.h) and hands their bytes in; the engine returns a compiled,
 * immutable rule set or a list of diagnostics.  A rule set is freed whole.
 * This header is the engine's one public face; behind it, compile.c loads
 * (with parse.c, lists.c, cond.c), match.c matches, diag.c and names.c
 * provide the diagnostics and names, dest.h the `dest:` patterns.
 *
 * The compiled rules are public, read-only data: the per-kind kernel
 * pre-filter compilers (file, connect) read `struct rule` to fill BPF maps.
 *
 * Semantics the rule-file contract leaves open, as implemented (the
 * "Semantics" sections of docs/RULES.md have the reasons):
 *
 *  - Loading is in passes over all sources: collect every file's lists,
 *    lists_append, rules and overrides; apply the appends; resolve every
 *    list; compile the rules; apply the overrides in file order.  So an
 *    append in any file is seen by every rule naming the list, and an
 *    override may target a rule of any file (later overrides win).
 *  - A scalar starting with '$' is a list reference, anywhere a field value
 *    is expected (a glob may write \$ for a literal $).  Nested lists
 *    flatten.  A field whose values expand to nothing never holds.
 *  - Globs: see glob.h.  `args` is argv joined by single spaces (an empty
 *    argument gives two spaces).  An argv the kernel cut short holds for
 *    every `args` in `when` and for none in `unless` (what was not read may
 *    match).
 *  - Programs (`exe`, `parent_exe`, `ancestor_exe`, `exe_content`) are also
 *    known by identity when the caller resolves them (rule_load_opts.
 *    resolve_exe): a value that is an absolute path with wildcards only in
 *    its last component names the files there when the rules load, and a
 *    program with one of those identities matches it under any name (a
 *    hardlink, a bind mount).  In `when` a program also matches by path.
 *    In `unless` a path counts only when it leads, on the host, to the very
 *    program (no CEV_EXE_ELSEWHERE, MEMFD or DELETED flag): a chroot, a
 *    container or a private bind mount cannot lend a program an exempt
 *    name.
 *    `exe_content` also holds for a copy of a named program (cev_exe.copies,
 *    found by the agent).  `ancestor_exe` also holds when the event's
 *    lineage bits (cev_event.lineage) have the field's class: the lineage
 *    the kernel kept, former programs of the process included.  A connect from an IPv4-mapped IPv6
 *    address (::ffff:a.b.c.d) also matches IPv4 patterns.  `ancestor_exe`
 *    falls back to the parent when no lineage was filled in.
 *  - Diagnostics come sorted by file, line and column; exact repeats are
 *    dropped.  `diags` is appended to (start it zeroed).  When some file is
 *    not valid YAML, unknown list / rule names elsewhere are not reported
 *    (they may be defined in the broken file); the load fails regardless.
 *  - digest: "sha256:" + hex SHA-256 over, for each source in order: name,
 *    NUL, length in decimal, NUL, bytes.
 */
#ifndef CUSTOS_RULES_H
#define CUSTOS_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "record/event.h"
#include "rules/dest.h"
#include "rules/glob.h"

enum rule_on {
	RULE_ON_FILE = CEV_FILE,
	RULE_ON_CONNECT = CEV_CONNECT,
	RULE_ON_EXEC = CEV_EXEC,
};

enum rule_severity {
	SEV_INFO = 0,
	SEV_LOW = 1,
	SEV_MEDIUM = 2,
	SEV_HIGH = 3,
	SEV_CRITICAL = 4,
};

enum rule_action {
	ACT_ALERT = 0,
	ACT_BLOCK = 1,
	ACT_LABEL = 2,		/* set_labels only: no record */
};

enum rule_field {
	F_EXE,
	F_COMM,
	F_PARENT_EXE,
	F_ANCESTOR_EXE,
	F_UID,
	F_CGROUP,
	F_PATH,
	F_ACCESS,
	F_DEST,
	F_PROTO,
	F_ARGS,
	F_CONTAINER,	/* glob over the container id */
	F_EXE_CONTENT,	/* exe, or a copy (same content) of a named program */
	F_LABELS,	/* the process carries any of these data-flow labels */
	F__COUNT,
};

/* the proto mask bit of a cev_proto */
#define PROTO_BIT(p) (1u << ((p) & 31))

/* The layout of cond_field.by_last: group starts for the 256 bytes and the
 * wildcard group, one end, then the glob indexes in group order. */
enum {
	BY_LAST_WILD = 256,		/* the group of globs that end in a wildcard */
	BY_LAST_GROUPS = 257,
	BY_LAST_ORDER = 258,		/* where the indexes start */
};

/* One key of a condition: its values are any-of. */
struct cond_field {
	int present;
	size_t n;
	char **globs;		/* exe comm parent_exe ancestor_exe cgroup path args */
	struct glob_ends *ends;	/* globs[i]'s literal start and end (glob.h); NULL: none */
	uint32_t *by_last;	/* NULL, or the globs grouped by the last byte a subject must
				 * have (cond.c, index_by_last): by_last[b] ..
				 * by_last[b + 1] index by_last + BY_LAST_ORDER for
				 * byte b; group BY_LAST_WILD holds the globs that end
				 * in a wildcard */
	uint32_t *uids;		/* uid */
	struct dest_pat *dests;	/* dest */
	uint32_t mask;		/* access: CEV_ACC_*; proto: PROTO_BIT(proto) of each */
	/* programs (exe, parent_exe, ancestor_exe, exe_content): */
	struct ident *idents;	/* the identities the resolvable globs named at load */
	size_t n_idents;
	int cls;		/* ancestor_exe: its class (rule_set.classes), -1: none */
	uint64_t labels;	/* labels: bit i = rule_set.labels[i] */
};

/* A condition holds when every present key holds (AND). */
struct cond {
	int is_unless;		/* an `unless` entry: program paths must be the host's (above) */
	struct cond_field f[F__COUNT];
};

/*
 * A class: one `ancestor_exe` value list (and whether it is an `unless`'s),
 * shared by the conditions that name the same values.  The agent tells the
 * kernel which programs are of which class, and the kernel keeps, per
 * process, the classes of its ancestors and former programs
 * (bpf/filter_maps.h, "Per-process state").
 */
#define RULE_MAX_CLASSES 64

struct rule_class {
	const struct cond_field *cf;
	int unless;
};

/*
 * Labels (data-flow rules): a file rule's `set_labels` gives the opening
 * process labels, in the kernel at the open (only file rules may: the label
 * must be set before the process can act on what it read); children inherit
 * them at fork, exec keeps them, `label_ttl` ends them.  `labels` in a
 * condition holds when the process carries any of them.  The rule set
 * numbers the names it uses (bit i of set_labels, cond_field.labels,
 * cev_event.labels: labels[i]).
 */
#define RULE_MAX_LABELS 16

struct rule {
	char *id;
	char *description;	/* NULL when absent */
	enum rule_on on;
	enum rule_severity severity;
	enum rule_action action;
	int enabled;
	char **tags;
	size_t n_tags;
	struct cond when;
	struct cond *unless;	/* any one holding suppresses the rule */
	size_t n_unless;
	uint64_t set_labels;	/* labels it gives the process when it fires (bits of rule_set.labels) */
	uint64_t label_ttl_ns;	/* 0: they do not expire */
	const char *file;	/* where the rule was defined (points into the set) */
	int line;
	int col;		/* of the rule's mapping, for diagnostics about a whole rule */
};

struct rule_set {
	struct rule *rules;	/* in load order; disabled rules included */
	size_t n_rules;
	const struct rule_class *classes;	/* cond_field.cls indexes it */
	size_t n_classes;
	const char *const *labels;		/* the label names rules use, bit i: labels[i] */
	size_t n_labels;
	/*
	 * The kernel's numbering of the classes and labels (the per-process
	 * state's bits): rule_set_load makes it the set's own (i -> i); the
	 * agent, which keeps a class's and a label's slot across reloads,
	 * writes its own before the kernel filters are compiled.  -1: none.
	 */
	int class_slot[RULE_MAX_CLASSES];
	int label_slot[RULE_MAX_LABELS];
	char digest[72];	/* "sha256:" + 64 hex + NUL */
	/* private storage follows in the implementation */
};

/* One input file, already read by the caller. */
struct rule_source {
	const char *name;	/* shown in diagnostics, e.g. "rules/exec.yaml" */
	const char *data;
	size_t len;
};

struct rule_diag {
	char *file;
	int line;		/* 1-based */
	int col;		/* 1-based */
	char *msg;
};

struct rule_diags {
	struct rule_diag *v;
	size_t n, cap;
};

/* Resolves a user name in `uid:` (I/O belongs to the caller); 0 or -ENOENT.
 * Any non-zero return makes the name an error ("unknown user 'x'"). */
typedef int (*rule_resolve_user_fn)(const char *name, uint32_t *uid, void *ctx);

/*
 * Resolves a program value (an absolute path with wildcards only in its last
 * component, rules_glob_resolvable()) to the identities of the files it
 * names now (I/O belongs to the caller).  Writes up to max; returns how many
 * exist (may exceed max).
 */
typedef int (*rule_resolve_exe_fn)(const char *glob, struct ident *out, size_t max, void *ctx);

struct rule_load_opts {
	rule_resolve_user_fn resolve_user;	/* NULL: names are errors */
	void *resolve_ctx;
	rule_resolve_exe_fn resolve_exe;	/* NULL: programs match by path only */
	void *resolve_exe_ctx;
};

/* 1 if glob is a program value the resolver is asked about. */
int rules_glob_resolvable(const char *glob);

/*
 * Parses and compiles srcs[0..n) in order (later files may override earlier
 * ones).  On success returns 0 and *out; on failure returns -EINVAL, *out is
 * NULL and diags lists every problem found (FILE:LINE:COL).  Nothing from any
 * file is applied when one fails.  -ENOMEM when memory ran out.  diags may
 * be NULL; otherwise new diagnostics are appended to it.
 */
int rule_set_load(const struct rule_source *srcs, size_t n,
		  const struct rule_load_opts *opts,
		  struct rule_set **out, struct rule_diags *diags);
void rule_set_free(struct rule_set *set);
/* Enabled rules of set; per_on[RULE_ON_*] (indexed by `on`, 4 slots) counts
 * them by kind when not NULL. */
size_t rule_set_enabled(const struct rule_set *set, size_t per_on[4]);
/* Records a diagnostic at rule r's FILE:LINE:COL (the filter compilers'
 * refusals); returns -EINVAL, or -ENOMEM when it could not be recorded. */
int rule_diag_add(struct rule_diags *d, const struct rule *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rule_diags_free(struct rule_diags *diags);

/* Formats one diagnostic as "FILE:LINE:COL: error: MSG" into buf. */
int rule_diag_format(const struct rule_diag *d, char *buf, size_t size);

/*
 * Every enabled rule of ev->kind whose `when` holds and no `unless` holds,
 * in load order.  Writes up to max pointers to hits; returns the total count.
 */
size_t rule_set_match(const struct rule_set *set, const struct cev_event *ev,
		      const struct rule **hits, size_t max);
/* Is r one of rule_set_match's hits for ev (enabled, of ev->kind, `when`
 * holds, no `unless` holds)? */
int rule_matches(const struct rule *r, const struct cev_event *ev);
/* Does the `when.path` of an enabled file rule name path[0..len)?  (The
 * identity watch: filters/filewatch.h.) */
int rule_set_path_named(const struct rule_set *set, const char *path, size_t len);
/*
 * The generation that names set's rule slot numbering in the records the
 * kernel decides (ev_connect.gen, a refused ev_exec's or ev_file's gen):
 * derived from its digest, so the agent and the maps agree without state.
 */
uint16_t rule_set_gen(const struct rule_set *set);

/* Does one condition hold for ev?  (exposed for `rules explain`) */
int cond_holds(const struct cond *c, const struct cev_event *ev);
/*
 * Is field f unknown for ev (a file record whose file or path could not be
 * had whole: rules/match.c), and so taken to hold in `when`?  And does c
 * need such a field (then, as an `unless`, it does not suppress)?
 */
int rule_field_unknown(const struct cev_event *ev, enum rule_field f);
int cond_needs_unknown(const struct cond *c, const struct cev_event *ev);

/*
 * The classes of set (bit i: set->classes[i]) that the program exe (what is
 * known of it: prog, may be NULL) is of.
 */
uint64_t rule_set_classes_of(const struct rule_set *set, const struct cev_str *exe,
			     const struct cev_prog *prog);

const char *rule_severity_name(enum rule_severity s);
const char *rule_action_name(enum rule_action a);
const char *rule_on_name(enum rule_on on);
const char *rule_field_name(enum rule_field f);

/* The bit of label name in set's labels, 0 when no rule uses it. */
uint64_t rule_set_label_bit(const struct rule_set *set, const char *name);

/* Whether a condition field may be used in a rule with this `on`. */
int rule_field_applies(enum rule_field f, enum rule_on on);

#endif
