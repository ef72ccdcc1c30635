// SPDX-License-Identifier: GPL-2.0
/* tf_drm_parse_fdinfo on a NUL-terminated copy of the input (as read). */
#include "drm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tf_drm_fdinfo fi;
	char *s = tf_fuzz_str(data, size);

	if (!s)
		return 0;
	if (!tf_drm_parse_fdinfo(s, &fi) &&
	    (!fi.engines || !fi.has_client || !memchr(fi.driver, 0, sizeof(fi.driver)) ||
	     !memchr(fi.pdev, 0, sizeof(fi.pdev))))
		__builtin_trap();
	free(s);
	return 0;
}
