// SPDX-License-Identifier: GPL-2.0
/* Dropping capabilities with libcap. */
#include <errno.h>
#include <stdbool.h>

#include "privs.h"

static bool listed(const cap_value_t *keep, int n, cap_value_t c)
{
	int i;

	for (i = 0; i < n; i++)
		if (keep[i] == c)
			return true;
	return false;
}

int tf_privs_drop(const cap_value_t *keep, int n)
{
	cap_value_t c, max = cap_max_bits();
	cap_flag_value_t v;
	cap_t cur, want;
	int i, err = 0;

	if (n < 0 || (n && !keep))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (keep[i] < 0 || keep[i] >= max)
			return -EINVAL;
	cur = cap_get_proc();
	if (!cur)
		return -errno;
	want = cap_init();
	if (!want) {
		err = -errno;
		goto out;
	}
	/* the bounding set first: dropping from it needs CAP_SETPCAP */
	for (c = 0; c < max; c++) {
		if (listed(keep, n, c) || cap_get_bound(c) != 1)
			continue;
		if (cap_drop_bound(c)) {
			err = -errno;
			goto out;
		}
	}
	/* kernels before 4.3 have no ambient set: nothing to clear there */
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient()) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < n; i++) {
		c = keep[i];
		if (!cap_get_flag(cur, c, CAP_PERMITTED, &v) && v == CAP_SET) {
			cap_set_flag(want, CAP_PERMITTED, 1, &c, CAP_SET);
			cap_set_flag(want, CAP_EFFECTIVE, 1, &c, CAP_SET);
		}
		if (!cap_get_flag(cur, c, CAP_INHERITABLE, &v) && v == CAP_SET)
			cap_set_flag(want, CAP_INHERITABLE, 1, &c, CAP_SET);
	}
	if (cap_set_proc(want))
		err = -errno;
out:
	cap_free(want);
	cap_free(cur);
	return err;
}
