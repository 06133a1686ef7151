/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filehelp.h - what the file suites (test_file.c, test_file_evasion.c)
 * share: writing a file, the record predicate, the string-list assertion,
 * and the BPF counters read from the agent's "stats" map.
 */
#ifndef CUSTOS_E2E_FILEHELP_H
#define CUSTOS_E2E_FILEHELP_H

#include <jansson.h>
#include <sys/types.h>

/* Creates (or truncates) path with text; fails the test otherwise. */
void write_text(const char *path, const char *text);

/* A file record of pid, when set: of path, of rule. */
struct file_pred {
	pid_t pid;
	const char *path;
	const char *rule;
};
int pred_file(json_t *rec, void *file_pred);

/* The agent's BPF counter idx (enum stat_idx, events.h) summed over the
 * CPUs, read from the "stats" map among its fds; -1 when not found. */
long long agent_stat(pid_t agent, unsigned int idx);

#endif
