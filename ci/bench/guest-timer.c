// SPDX-License-Identifier: GPL-2.0
/*
 * guest-timer: the benchmarks' clock in the guest (ci/bench/vm-*.sh), built
 * static in the build root by ci/bench.sh and put in the initramfs as
 * /ci/guest-timer. The guest's busybox has no clock finer than
 * /proc/uptime's 10 ms, and starting `date` or a shell loop costs far more
 * than what is measured.
 *
 *   guest-timer now                 CLOCK_MONOTONIC in ns
 *   guest-timer time CMD [ARG...]   runs CMD (its standard output goes to
 *                                   standard error), prints the ns from just
 *                                   before its start to its exit; exits with
 *                                   CMD's status (127 when it could not start)
 *   guest-timer read N FILE...      N rounds of open, one read of up to 4 KiB
 *                                   and close of every FILE; prints the ns
 *                                   the N rounds took (exit 1 on an error)
 *   guest-timer within FILE LIMIT   from the pairs in FILE ("WITH WITHOUT"
 *                                   lines), the relative half-width of the
 *                                   95 % interval of their ratio; exits 0
 *                                   when it is at most LIMIT (e.g. 0.005),
 *                                   1 when not, 2 on an error
 *
 * Each prints one number and a newline on standard output. (The guest's
 * busybox awk has no log() or sqrt(): `within` is here for that.)
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmd_time(char **argv)
{
	long long t0 = now_ns();
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("guest-timer: fork");
		return 127;
	}
	if (pid == 0) {
		/* Only the measure goes to standard output. */
		dup2(2, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "guest-timer: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("guest-timer: waitpid");
		return 127;
	}
	printf("%lld\n", now_ns() - t0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmd_read(long rounds, int nfiles, char **files)
{
	static char buf[4096];
	long long t0 = now_ns();

	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < nfiles; i++) {
			int fd = open(files[i], O_RDONLY);
			ssize_t got;

			if (fd < 0) {
				fprintf(stderr, "guest-timer: %s: %s\n", files[i], strerror(errno));
				return 1;
			}
			got = read(fd, buf, sizeof(buf));
			if (got <= 0) {
				fprintf(stderr, "guest-timer: %s: %s\n", files[i],
					got < 0 ? strerror(errno) : "empty");
				close(fd);
				return 1;
			}
			close(fd);
		}
	}
	printf("%lld\n", now_ns() - t0);
	return 0;
}

/*
 * The paired t-interval of ln(WITH / WITHOUT): its relative half-width
 * exp(t * s / sqrt(n)) - 1, with Student's t quantile (0.975, n - 1) from
 * its Cornish-Fisher expansion around the normal one (0.25 % below the
 * exact value at 5 pairs, the fewest the benchmarks stop at, 0.01 % at 10).
 * Only the stopping rule of the benchmarks uses it: the report computes the
 * interval again, from the samples, with the exact quantile.
 */
static int cmd_within(const char *path, double limit)
{
	double with, without, d, sum = 0, sumsq = 0, mean, var, k, t, h;
	const double z = 1.959964;
	long n = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "guest-timer: %s: %s\n", path, strerror(errno));
		return 2;
	}
	while (fscanf(f, "%lf %lf", &with, &without) == 2) {
		if (with <= 0 || without <= 0) {
			fclose(f);
			fprintf(stderr, "guest-timer: %s: a measure is not positive\n", path);
			return 2;
		}
		d = log(with / without);
		sum += d;
		sumsq += d * d;
		n++;
	}
	if (!feof(f)) {
		fclose(f);
		fprintf(stderr, "guest-timer: %s: a line is not two numbers\n", path);
		return 2;
	}
	fclose(f);
	if (n < 2) {
		printf("inf\n");
		return 1;
	}
	mean = sum / n;
	var = (sumsq - n * mean * mean) / (n - 1);
	if (var < 0)
		var = 0;
	k = n - 1;
	t = z + (pow(z, 3) + z) / (4 * k) +
	    (5 * pow(z, 5) + 16 * pow(z, 3) + 3 * z) / (96 * k * k) +
	    (3 * pow(z, 7) + 19 * pow(z, 5) + 17 * pow(z, 3) - 15 * z) / (384 * k * k * k);
	h = exp(t * sqrt(var / n)) - 1;
	printf("%.6f\n", h);
	return h <= limit ? 0 : 1;
}

int main(int argc, char **argv)
{
	char *end;

	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%lld\n", now_ns());
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "time"))
		return cmd_time(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "read")) {
		long rounds = strtol(argv[2], &end, 10);

		if (*end == '\0' && rounds > 0)
			return cmd_read(rounds, argc - 3, argv + 3);
	}
	if (argc == 4 && !strcmp(argv[1], "within")) {
		double limit = strtod(argv[3], &end);

		if (*end == '\0' && limit > 0)
			return cmd_within(argv[2], limit);
	}
	fprintf(stderr, "usage: guest-timer now | time CMD [ARG...] | read N FILE... | within FILE LIMIT\n");
	return 2;
}
