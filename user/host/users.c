/* SPDX-License-Identifier: Apache-2.0 */
#include "host/users.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

struct user_entry {
	uint32_t uid;
	int has_name;
	char name[];
};

int users_init(struct users *u)
{
	memset(u, 0, sizeof(*u));
	u->n_slots = 64;
	u->slots = calloc(u->n_slots, sizeof(*u->slots));
	return u->slots ? 0 : -ENOMEM;
}

static struct user_entry **slot_of(struct users *u, uint32_t uid)
{
	size_t j = (uid * 2654435761u) & (u->n_slots - 1);

	while (u->slots[j] && u->slots[j]->uid != uid)
		j = (j + 1) & (u->n_slots - 1);
	return &u->slots[j];
}

static int grow(struct users *u)
{
	struct user_entry **old = u->slots;
	size_t n_old = u->n_slots;

	u->slots = calloc(n_old * 2, sizeof(*u->slots));
	if (!u->slots) {
		u->slots = old;
		return -ENOMEM;
	}
	u->n_slots = n_old * 2;
	for (size_t i = 0; i < n_old; i++)
		if (old[i])
			*slot_of(u, old[i]->uid) = old[i];
	free(old);
	return 0;
}

const char *users_name(struct users *u, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	struct user_entry **s, *e;
	char buf[4096];
	size_t len;

	if (!u->slots)
		return NULL;
	s = slot_of(u, uid);
	if (*s)
		return (*s)->has_name ? (*s)->name : NULL;
	if ((u->n_used + 1) * 2 > u->n_slots) {
		if (grow(u))
			return NULL;
		s = slot_of(u, uid);
	}
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0)
		res = NULL;
	len = res ? strlen(res->pw_name) : 0;
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	e->uid = uid;
	e->has_name = res != NULL;
	memcpy(e->name, res ? res->pw_name : "", len + 1);
	*s = e;
	u->n_used++;
	return e->has_name ? e->name : NULL;
}

void users_clear(struct users *u)
{
	for (size_t i = 0; i < u->n_slots; i++) {
		free(u->slots[i]);
		u->slots[i] = NULL;
	}
	u->n_used = 0;
}

void users_free(struct users *u)
{
	users_clear(u);
	free(u->slots);
	memset(u, 0, sizeof(*u));
}
