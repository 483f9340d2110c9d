/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmarks of tools/ioasid-bench share: fatal errors, a monotonic
 * clock in nanoseconds, the median/min/max of the per-round figures and
 * /proc/meminfo fields.
 * Each program defines BENCH_NAME (the prefix of its error messages) before
 * including this.
 */
#ifndef IOASID_BENCH_H
#define IOASID_BENCH_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The most rounds a run may ask for (-r). */
#define MAX_ROUNDS	64

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", BENCH_NAME);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

/* Median, min and max of @n (at most MAX_ROUNDS) figures. */
static struct stat3 stats(const double *v, int n)
{
	double s[MAX_ROUNDS];
	struct stat3 r;

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

/* A /proc/meminfo field in KiB (-1 if it is missing). */
static long meminfo_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

#endif /* IOASID_BENCH_H */
