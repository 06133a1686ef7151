/* SPDX-License-Identifier: Apache-2.0 */
/*
 * heap.h - where glibc puts big blocks, set for a phase of the agent, and
 * what the process holds (its memory figures as the kernel counts them).
 *
 * The agent runs with every block above 128 KiB mmap'ed, given back to the
 * kernel when freed (heap_give_back), so that a big block freed once does
 * not stay resident.  Its start parses the kernel's BTF up to five times,
 * one after the other (~11 MiB for a moment each, docs/PERFORMANCE.md,
 * "The kernel's BTF, parsed one copy at a time"): fresh mmap'ed pages cost
 * a parse ~45 of its ~50 ms in page faults, and heap_keep makes each parse
 * reuse the pages of the one before instead.
 *
 * heap_keep is for one thread's serial work: blocks a thread of its own
 * frees land in that thread's arena, whose top glibc trims only in free(),
 * so that thread must start after heap_give_back.
 */
#ifndef CUSTOS_HEAP_H
#define CUSTOS_HEAP_H

/* Big blocks from the heap, kept there when freed. */
void heap_keep(void);

/* Big blocks mmap'ed again, and what the heap holds free given back. */
void heap_give_back(void);

/*
 * The process's memory figure named field ("VmRSS", "VmHWM", "RssAnon") in
 * /proc/self/status, in KiB; -ENOENT when the kernel shows no such line, or
 * -errno when the file cannot be read.
 */
long heap_self_kib(const char *field);

#endif
