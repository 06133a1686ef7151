/* SPDX-License-Identifier: Apache-2.0 */
/*
 * names.c - name tables: lookups for the compiler (names.h) and the names
 * of the engine's enums (rules.h).
 */
#include "rules/names.h"

#include <stdio.h>
#include <string.h>

#include "rules/rules.h"

int names_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *names_join(char *buf, size_t size, const char *const *names, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "", names[i]);
	return buf;
}

const char *rule_severity_name(enum rule_severity s)
{
	switch (s) {
	case SEV_INFO:
		return "info";
	case SEV_LOW:
		return "low";
	case SEV_MEDIUM:
		return "medium";
	case SEV_HIGH:
		return "high";
	case SEV_CRITICAL:
		return "critical";
	}
	return "?";
}

const char *rule_action_name(enum rule_action a)
{
	switch (a) {
	case ACT_ALERT:
		return "alert";
	case ACT_BLOCK:
		return "block";
	case ACT_LABEL:
		return "label";
	}
	return "?";
}

const char *rule_on_name(enum rule_on on)
{
	switch (on) {
	case RULE_ON_FILE:
		return "file";
	case RULE_ON_CONNECT:
		return "connect";
	case RULE_ON_EXEC:
		return "exec";
	}
	return "?";
}

static const char *const field_names[F__COUNT] = {
	[F_EXE] = "exe",
	[F_COMM] = "comm",
	[F_PARENT_EXE] = "parent_exe",
	[F_ANCESTOR_EXE] = "ancestor_exe",
	[F_UID] = "uid",
	[F_CGROUP] = "cgroup",
	[F_PATH] = "path",
	[F_ACCESS] = "access",
	[F_DEST] = "dest",
	[F_PROTO] = "proto",
	[F_ARGS] = "args",
	[F_CONTAINER] = "container",
	[F_EXE_CONTENT] = "exe_content",
	[F_LABELS] = "labels",
};

const char *rule_field_name(enum rule_field f)
{
	return (unsigned)f < F__COUNT ? field_names[f] : "?";
}

int rule_field_applies(enum rule_field f, enum rule_on on)
{
	switch (f) {
	case F_PATH:
	case F_ACCESS:
		return on == RULE_ON_FILE;
	case F_DEST:
	case F_PROTO:
		return on == RULE_ON_CONNECT;
	case F_ARGS:
		return on == RULE_ON_EXEC;
	case F__COUNT:
		return 0;
	default:
		return 1;
	}
}
