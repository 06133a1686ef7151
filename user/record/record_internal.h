/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_internal.h - what record.c lends record_ocsf.c (and only it): the
 * pieces that copy a JSON value into a record's own memory.
 */
#ifndef CUSTOS_RECORD_INTERNAL_H
#define CUSTOS_RECORD_INTERNAL_H

#include <jansson.h>

#include "record/record.h"

/* A JSON string's bytes (\udcXX back to the byte), owned by r: 0 or -ENOMEM. */
int record_take_bytes(struct record *r, json_t *v, struct cev_str *out);
/* A JSON array of strings as argv: 0 or -ENOMEM. */
int record_take_args(struct record *r, json_t *arr, struct cev_args *out);
/* r frees p in record_free(); on -ENOMEM p is freed at once. */
int record_own(struct record *r, char *p);
/* arr (nearest first) as the event's ancestors: 0 or -ENOMEM. */
int record_take_ancestors(struct record *r, json_t *arr);
/* The strings of arr into r->tags. */
void record_take_tags(struct record *r, json_t *arr);
/* connect: the destination as written, and its family and address. */
void record_set_dest(struct record *r, const char *dest);

/* record_ocsf.c: root (a parsed line with a class_uid) into r. */
int record_parse_ocsf(struct record *r, json_t *root);

#endif
