/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loss_fixture.h - one loss record with every part of loss.by, for the
 * suites that render it (test_record.c) and ship it (test_json2mp.c).
 */
#ifndef CUSTOS_TEST_LOSS_FIXTURE_H
#define CUSTOS_TEST_LOSS_FIXTURE_H

#include <string.h>

#include "record/event.h"

static const struct cev_loss_rule loss_rules[] = {
	{ "e2e-dotenv", "low", 900 }, { "e2e-secret", "critical", 100 },
};
static const struct cev_loss_proc loss_procs[] = {
	{ 4242, "flood", { "/opt/fl/flood", 13, 0 }, 1000 },
};

/* a loss record with every part of loss.by */
static void loss_event(struct cev_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = CEV_LOSS;
	ev->time_ns = 1795417923123456789ull;
	ev->loss.lost = 1000;
	ev->loss.where = "ring";
	ev->loss.by_kind[CEV_LOST_FILE] = 1000;
	ev->loss.by_severity[CEV_LOSS_SEV_CRITICAL] = 100;
	ev->loss.by_severity[CEV_LOSS_SEV_LOW] = 800;
	ev->loss.by_severity[CEV_LOSS_SEV_UNKNOWN] = 100;
	ev->loss.rules = loss_rules;
	ev->loss.n_rules = 2;
	ev->loss.procs = loss_procs;
	ev->loss.n_procs = 1;
}

#endif
