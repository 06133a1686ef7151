/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocsf.h - the OCSF rendering of a record (`--format ocsf`): File System
 * Activity (1001) for file, Process Activity (1007) for exec, Network
 * Activity (4001) for connect, Base Event (0) for loss.  The same facts as
 * the custos.event/1 line; field by field in docs/EVENTS-ocsf.md.
 */
#ifndef CUSTOS_OCSF_H
#define CUSTOS_OCSF_H

#include "record/json.h"

#define OCSF_VERSION "1.1.0"

/* the OCSF 1.1 classes custos writes, and those its evidence stands for */
enum ocsf_class_uid {
	OCSF_BASE_EVENT = 0,
	OCSF_FILE_ACTIVITY = 1001,
	OCSF_PROCESS_ACTIVITY = 1007,
	OCSF_DETECTION_FINDING = 2004,
	OCSF_NETWORK_ACTIVITY = 4001,
	OCSF_TYPE_UID_SCALE = 100,	/* type_uid = class_uid * 100 + activity_id */
};

/* Same contract as json_render_event(): one line, 0, -EINVAL or -ENOMEM. */
int ocsf_render_event(struct sbuf *out, const struct cev_event *ev,
		      const struct json_rule *rule, const struct json_meta *meta);

/* OCSF severity_id for a custos severity name (1 info .. 5 critical). */
int ocsf_severity_id(const char *severity);

#endif
