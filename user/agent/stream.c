/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream.c - run id, chain, state file, gap record, heartbeat (stream.h).
 */
#include "agent/stream.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "agent/agent.h"
#include "agent/emit.h"
#include "base/clock.h"
#include "base/fdio.h"
#include "base/keyfile.h"
#include "base/log.h"

int stream_init(struct agent *a, char *err, size_t errlen)
{
	uint8_t key[KEYFILE_MAX];
	size_t key_len = 0;
	int rc;

	rc = state_new_run_id(a->run);
	if (rc) {
		errbuf_set(err, errlen, "agent: no random bytes for the run id: %s", strerror(-rc));
		return rc;
	}
	if (a->opts.chain_key &&
	    (rc = keyfile_read(a->opts.chain_key, key, &key_len, err, errlen)))
		return rc;
	rc = chain_init(&a->chain, a->opts.chain_key ? key : NULL, key_len);
	memset(key, 0, sizeof(key));
	if (rc) {
		errbuf_set(err, errlen, "agent: setting up the record chain failed: %s",
			   strerror(-rc));
		return rc;
	}
	if (!a->opts.state_dir)
		return 0;
	rc = state_open(&a->state, a->opts.state_dir, err, errlen);
	if (rc)
		return rc;
	if (a->state.found) {
		a->seq = a->saved_seq = a->state.prev.seq;
		memcpy(a->chain.last, a->state.prev.chain, sizeof(a->chain.last));
	}
	return 0;
}

void stream_save(struct agent *a, int clean)
{
	struct state_rec r = { .seq = a->seq, .alive_ns = clock_ns(CLOCK_REALTIME),
			       .clean = clean };
	int rc;

	if (a->state.fd < 0)
		return;
	memcpy(r.chain, a->chain.last, sizeof(r.chain));
	memcpy(r.run, a->run, sizeof(r.run));
	rc = state_save(&a->state, &r);
	if (rc && a->saved_seq != a->seq)
		log_warn("state: writing the state file failed: %s (a restart now would "
			 "repeat seq numbers)", strerror(-rc));
	a->saved_seq = a->seq;
	a->last_save_ms = now_ms();
}

void stream_heartbeat(struct agent *a, const uint64_t *stats, int clean)
{
	struct run_state st = { .version = RUN_STATE_VERSION, .clean = (uint32_t)clean,
				.alive_ns = clock_ns(CLOCK_REALTIME) };
	int fd = loader_map_fd(&a->loader, "run_state");
	uint32_t zero = 0;

	if (fd < 0)
		return;
	memcpy(st.seen, stats, sizeof(st.seen));
	bpf_map_update_elem(fd, &zero, &st, BPF_ANY);
}

/* What the pinned set counted after its last agent's heartbeat. */
static uint32_t gap_counts(const struct pin *p, struct cev_count *out)
{
	const uint64_t *now = p->stats;
	const __u64 *then = p->state.seen;
#define GREW(i) (now[i] > then[i] ? now[i] - then[i] : 0)
	const struct cev_count c[] = {
		{ "exec", GREW(STAT_EXEC_SEEN) },
		{ "file", GREW(STAT_FILE_EMIT) },
		{ "connect", GREW(STAT_NET_EMIT) + GREW(STAT_NET_BLOCK) },
		{ "exec_refused", GREW(STAT_EXEC_BLOCK) },
		{ "file_refused", GREW(STAT_FILE_BLOCK) },
		{ "connect_refused", GREW(STAT_NET_BLOCK) },
		{ "lost", GREW(STAT_RING_DROPS) },
		{ "ratelimited", GREW(STAT_LIMIT_FILE) + GREW(STAT_LIMIT_CONNECT) },
	};
#undef GREW

	memcpy(out, c, sizeof(c));
	return (uint32_t)(sizeof(c) / sizeof(c[0]));
}

void stream_gap(struct agent *a)
{
	const struct state_rec *prev = &a->state.prev;
	const struct pin *p = &a->loader.pin;
	struct cev_count counted[8];
	struct cev_gap gap = {
		.from_ns = prev->alive_ns,
		.to_ns = clock_ns(CLOCK_REALTIME),
		.clean = (uint8_t)prev->clean,
	};
	int pinned = a->loader.pinning && p->found;

	if (!a->state.found && !pinned)
		return;		/* the first run on this host */
	if (pinned) {
		gap.enforced = (uint8_t)p->links_ok;
		if (p->have_counts) {
			gap.from_ns = p->state.alive_ns;
			gap.to_ns = p->read_ns;
			gap.counted = counted;
			gap.n_counted = gap_counts(p, counted);
			if (!a->state.found)
				gap.clean = (uint8_t)p->state.clean;
		}
	}
	emit_gap(a, &gap);
	emit_flush(a, 0);
	stream_save(a, 0);
	log_info("agent: run %s follows run %s (%s end, seq %llu); the kernel side %s meanwhile",
		 a->run, prev->run[0] ? prev->run : "?", gap.clean ? "clean" : "unclean",
		 (unsigned long long)prev->seq, gap.enforced ? "stayed attached" : "was not attached");
}
