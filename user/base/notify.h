/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notify.h - readiness for service managers: the sd_notify datagram protocol
 * (READY=1, RELOADING=1, STOPPING=1) on $NOTIFY_SOCKET, without libsystemd.
 * A no-op returning 0 when NOTIFY_SOCKET is not set.
 */
#ifndef CUSTOS_NOTIFY_H
#define CUSTOS_NOTIFY_H

int notify_service(const char *state);

#endif
