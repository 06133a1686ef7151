/* SPDX-License-Identifier: Apache-2.0 */
/*
 * users.h - uid -> user name, cached (the `user` field of records).
 * A uid without a name is cached too, so a miss costs one lookup per uid.
 */
#ifndef CUSTOS_USERS_H
#define CUSTOS_USERS_H

#include <stddef.h>
#include <stdint.h>

struct user_entry;

struct users {
	struct user_entry **slots;
	size_t n_slots;
	size_t n_used;
};

int users_init(struct users *u);
/* The name of uid, or NULL when it has none. */
const char *users_name(struct users *u, uint32_t uid);
/* Forgets every entry (on SIGHUP: /etc/passwd may have changed). */
void users_clear(struct users *u);
void users_free(struct users *u);

#endif
