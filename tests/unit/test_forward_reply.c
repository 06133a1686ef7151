/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_forward_reply.c - the forward sink reads a collector's replies in a
 * bounded buffer (user/sinks/forward_conn.c): the size of a msgpack object
 * is known from its headers, a reply that cannot fit FWD_REPLY_MAX is
 * refused before it is buffered, and a fake collector on 127.0.0.1 that
 * answers with a 4 GiB str32 and streams data is cut off after a few KiB
 * (it took the agent to 1 GB of memory before).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sinks/forward_internal.h"
#include "sinks/sink.h"

enum {
	STREAM_MAX = 256 << 20,		/* what the fake collector offers at most */
	STREAM_CHUNK = 64 << 10,
};

#define SIZE(bytes) forward_msgpack_size((const unsigned char *)(bytes), sizeof(bytes) - 1, \
					 FWD_REPLY_MAX)

static void test_object_sizes(void **state)
{
	(void)state;
	assert_int_equal(SIZE("\x01"), 1);
	assert_int_equal(SIZE("\x81\xa3" "ack" "\xa1x"), 7);	/* {"ack": "x"} */
	assert_int_equal(SIZE("\x81\xa3" "ack" "\xa1"), 0);	/* cut: more to come */
	assert_int_equal(SIZE("\x92\x01\x02\x03"), 3);		/* [1, 2], then the next */
	assert_int_equal(SIZE("\xd9\x02xy"), 4);		/* str8 */
	assert_int_equal(SIZE("\xc7\x01\x05z"), 4);		/* ext8: type byte, 1 byte */
	assert_int_equal(SIZE("\xd4\x05z"), 3);			/* fixext1 */
	assert_int_equal(SIZE("\xcb" "12345678"), 9);		/* float64 */
	assert_int_equal(SIZE("\xdb\x00\x00"), 0);		/* str32 header cut */
	assert_int_equal(SIZE("\xc1"), -EPROTO);
	/* refused from the header alone: 4 GiB of str, a billion elements */
	assert_int_equal(SIZE("\xdb\xff\xff\xff\xff"), -EMSGSIZE);
	assert_int_equal(SIZE("\xdd\x40\x00\x00\x00"), -EMSGSIZE);
	assert_int_equal(SIZE("\xdf\x00\x01\x00\x00"), -EMSGSIZE);	/* 65536 pairs */
	assert_int_equal(SIZE("\xdc\x00\x10\x91\x91\x91"), 0);	/* small: wait */
}

/* bytes fed to a reader object by object */
static void test_reader_takes_objects_in_turn(void **state)
{
	static const char two[] = "\x81\xa3" "ack" "\xa2id" "\x93\x01\x02";
	struct forward_reader r;

	(void)state;
	assert_int_equal(forward_reader_init(&r), 0);
	memcpy(r.buf, two, sizeof(two) - 1);
	r.len = sizeof(two) - 1;
	assert_int_equal(forward_reader_take(&r), 0);
	assert_true(forward_ack_is(&r.res.data, "id"));
	assert_false(forward_ack_is(&r.res.data, "i"));
	assert_int_equal(forward_reader_take(&r), -EAGAIN);	/* [1, 2, ... */
	r.buf[r.len++] = '\x03';
	assert_int_equal(forward_reader_take(&r), 0);
	assert_int_equal(r.res.data.type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(r.res.data.via.array.size, 3);
	forward_reader_free(&r);
}

/* The fake collector: takes one connection, reads what the sink sends,
 * answers with a str32 header of 4 GiB and streams zeros until the sink
 * hangs up; writes how many bytes it sent into fd out. */
static void collector(int lfd, int out)
{
	static char buf[STREAM_CHUNK];
	unsigned long long sent = 0;
	int c = accept(lfd, NULL, NULL);
	struct timeval tv = { .tv_sec = 10 };
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	if (c < 0)
		_exit(1);
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (recv(c, buf, sizeof(buf), 0) <= 0)
		_exit(1);
	if (send(c, "\xdb\xff\xff\xff\xff", 5, 0) != 5)
		_exit(1);
	memset(buf, 'A', sizeof(buf));
	while (sent < STREAM_MAX && (n = send(c, buf, sizeof(buf), 0)) > 0)
		sent += (unsigned long long)n;
	if (write(out, &sent, sizeof(sent)) != sizeof(sent))
		_exit(1);
	_exit(0);
}

static void test_endless_reply_cut_off(void **state)
{
	static const char rec[] = "{\"kind\":\"loss\",\"seq\":1,\"loss\":{\"lost\":1,\"where\":\"ring\"}}\n";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	unsigned long long sent = 0;
	int lfd = socket(AF_INET, SOCK_STREAM, 0), p[2], st;
	char spec[128], err[256];
	struct pollfd pfd;
	struct sink *s;
	pid_t pid;

	(void)state;
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		collector(lfd, p[1]);
	close(lfd);
	close(p[1]);
	snprintf(spec, sizeof(spec), "forward:127.0.0.1:%u,drain-ms=100", ntohs(a.sin_port));
	assert_int_equal(sink_open(spec, &s, err, sizeof(err)), 0);
	assert_int_equal(sink_write(s, rec, sizeof(rec) - 1), 0);
	assert_int_equal(sink_flush(s), 0);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 30000), 1);
	assert_int_equal(read(p[0], &sent, sizeof(sent)), sizeof(sent));
	sink_close(s);
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* hung up long before the end: what was sent fits the socket buffers */
	assert_true(sent < STREAM_MAX / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_sizes),
		cmocka_unit_test(test_reader_takes_objects_in_turn),
		cmocka_unit_test(test_endless_reply_cut_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
