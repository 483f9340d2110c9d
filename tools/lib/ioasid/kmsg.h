/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watching the kernel log from a test or a tool: open a watch at some point
 * (kmsg_watch_begin()), then count what was logged since.  A "problem" is a
 * record matching one of the patterns of scripts/lib/kmsg-problems, the
 * list the test bed scans the whole guest log with (kmsg_patterns.h is
 * generated from it at build time).  Header only.
 */
#ifndef __IOASID_KMSG_H
#define __IOASID_KMSG_H

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A watch: an fd of /dev/kmsg at the end of the log, or -errno. */
static inline int kmsg_watch_begin(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

/* Is @rec a problem record?  The patterns are compiled once. */
static inline int kmsg_is_problem(const char *rec)
{
	static const char *const pattern[] = {
#include "kmsg_patterns.h"
	};
	static regex_t re[sizeof(pattern) / sizeof(pattern[0])];
	static bool compiled;
	size_t i;

	if (!compiled) {
		for (i = 0; i < sizeof(pattern) / sizeof(pattern[0]); i++)
			if (regcomp(&re[i], pattern[i], REG_EXTENDED | REG_NOSUB))
				return -EINVAL;
		compiled = true;
	}
	for (i = 0; i < sizeof(pattern) / sizeof(pattern[0]); i++)
		if (!regexec(&re[i], rec, 0, NULL, 0))
			return 1;
	return 0;
}

/*
 * Reads the watch @fd to the end: the number of records (all of them, or
 * with @problems only the problem ones) logged since it began, the first
 * copied to @first (@len bytes); or -errno.  The watch stays open.
 */
static inline int kmsg_watch_read(int fd, bool problems, char *first,
				  size_t len)
{
	char rec[2048];
	int n = 0, bad;
	ssize_t r;

	if (fd < 0)
		return fd;
	if (first && len)
		first[0] = 0;
	for (;;) {
		r = read(fd, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE)
			continue;	/* records overwritten meanwhile: go on */
		if (r < 0 && errno == EAGAIN)
			break;		/* nothing more */
		if (r < 0)
			return -errno;
		rec[r] = 0;
		bad = problems ? kmsg_is_problem(rec) : 1;
		if (bad < 0)
			return bad;
		if (!bad)
			continue;
		if (!n && first && len)
			snprintf(first, len, "%.*s", (int)len - 1, rec);
		n++;
	}
	return n;
}

/* Problem records since kmsg_watch_begin(), or -errno; keeps @fd open. */
static inline int kmsg_problems(int fd, char *first, size_t len)
{
	return kmsg_watch_read(fd, true, first, len);
}

/* Problem records since kmsg_watch_begin(), or -errno; closes @fd. */
static inline int kmsg_watch_end(int fd, char *first, size_t len)
{
	int n = kmsg_watch_read(fd, true, first, len);

	if (fd >= 0)
		close(fd);
	return n;
}

/* All records since kmsg_watch_begin(), or -errno; closes @fd. */
static inline int kmsg_watch_count(int fd, char *first, size_t len)
{
	int n = kmsg_watch_read(fd, false, first, len);

	if (fd >= 0)
		close(fd);
	return n;
}

#endif /* __IOASID_KMSG_H */
