// SPDX-License-Identifier: GPL-2.0
/*
 * tf_config_load on the input: it reads a path, so the input goes into a
 * memfd read back through /proc/self/fd/N. The fuzz build of config.c has
 * its fopen() renamed to tf_fuzz_fopen() (the Makefile's -Dfopen=...), so
 * that a fuzzed "curve =" or "history =" path cannot make it read a device
 * or a FIFO (/dev/zero, /dev/stdin) forever: only regular files outside
 * /dev, /proc and /sys are opened, and our memfd.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

FILE *tf_fuzz_fopen(const char *path, const char *mode);

static int memfd = -1;
static char memfd_path[64];

FILE *tf_fuzz_fopen(const char *path, const char *mode)
{
	struct stat st;

	if (strcmp(path, memfd_path) &&
	    (!strncmp(path, "/dev", 4) || !strncmp(path, "/proc", 5) ||
	     !strncmp(path, "/sys", 4) || stat(path, &st) ||
	     !S_ISREG(st.st_mode) || st.st_size > (1 << 20))) {
		errno = ENOENT;
		return NULL;
	}
	return fopen(path, mode);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tf_config c;
	char err[512];

	if (memfd < 0) {
		memfd = memfd_create("tf-fuzz-config", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
		snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	err[0] = '\0';
	if (tf_config_load(memfd_path, &c, err, sizeof(err)) && !err[0])
		__builtin_trap();	/* every error is explained */
	tf_config_free(&c);
	return 0;
}
