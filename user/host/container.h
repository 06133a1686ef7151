/* SPDX-License-Identifier: Apache-2.0 */
/*
 * container.h - a container id from a cgroup v2 path (pure).
 *
 * Recognised, innermost component wins:
 *   Docker      /docker/<id>, /system.slice/docker-<id>.scope
 *   containerd  .../cri-containerd-<id>.scope, /kubepods/.../pod<uid>/<id>
 *   CRI-O       .../crio-<id>.scope (also crio-conmon-<id> is NOT a container)
 *   Podman      .../libpod-<id>.scope[/container], libpod-payload-<id>
 * <id> is 64 lowercase hex digits; the id returned is those 64 digits.
 */
#ifndef CUSTOS_CONTAINER_H
#define CUSTOS_CONTAINER_H

#include <stddef.h>

#define CONTAINER_ID_LEN 64

/* 0 and out (>= 65 bytes) filled, or -ENOENT when path names no container. */
int container_id_from_cgroup(const char *path, char *out, size_t size);

#endif
