// SPDX-License-Identifier: GPL-2.0
/*
 * DRM fdinfo and hwmon (agent/drm.c). This machine has no GPU: the scanner
 * runs on a TEST DOUBLE of /proc and /sys built in a temporary directory,
 * shaped as the kernel lays them out (drm-usage-stats.rst, hwmon ABI).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "drm.h"

/* amdgpu's fdinfo as 6.1 prints it */
static const char amdgpu_fdinfo[] =
	"pos:\t0\nflags:\t02100002\nmnt_id:\t24\nino:\t1036\n"
	"drm-driver:\tamdgpu\n"
	"drm-pdev:\t0000:03:00.0\n"
	"drm-client-id:\t42\n"
	"drm-memory-vram:\t12288 KiB\n"
	"drm-engine-gfx:\t1000000 ns\n"
	"drm-engine-compute:\t250000 ns\n"
	"drm-engine-dec:\t0 ns\n";

/* i915: engine capacity keys are counts, not time */
static const char i915_fdinfo[] =
	"drm-driver:\ti915\n"
	"drm-pdev:\t0000:00:02.0\n"
	"drm-client-id:\t7\n"
	"drm-engine-render:\t9999 ns\n"
	"drm-engine-capacity-video:\t2\n"
	"drm-engine-video:\t1 ns\n";

static void test_parse_amdgpu(void **state)
{
	struct tf_drm_fdinfo fi;

	(void)state;
	assert_int_equal(tf_drm_parse_fdinfo(amdgpu_fdinfo, &fi), 0);
	assert_string_equal(fi.driver, "amdgpu");
	assert_string_equal(fi.pdev, "0000:03:00.0");
	assert_int_equal(fi.client_id, 42);
	assert_int_equal(fi.engine_ns, 1250000);
	assert_int_equal(fi.engines, 3);
}

static void test_parse_capacity_not_time(void **state)
{
	struct tf_drm_fdinfo fi;

	(void)state;
	assert_int_equal(tf_drm_parse_fdinfo(i915_fdinfo, &fi), 0);
	assert_int_equal(fi.engine_ns, 10000);
	assert_int_equal(fi.engines, 2);
}

static void test_parse_not_drm_or_bad(void **state)
{
	struct tf_drm_fdinfo fi;

	(void)state;
	/* a plain file's fdinfo */
	assert_int_equal(tf_drm_parse_fdinfo("pos:\t0\nflags:\t0100000\n", &fi),
			 -ENOENT);
	/* a DRM client of a driver without usage stats */
	assert_int_equal(tf_drm_parse_fdinfo("drm-driver:\tsimpledrm\n"
					     "drm-client-id:\t1\n", &fi), -ENOENT);
	assert_int_equal(tf_drm_parse_fdinfo("drm-driver:\tamdgpu\n"
					     "drm-client-id:\tx\n", &fi), -EINVAL);
	assert_int_equal(tf_drm_parse_fdinfo("drm-driver:\tamdgpu\n"
					     "drm-client-id:\t1\n"
					     "drm-engine-gfx:\t12 ms\n", &fi), -EINVAL);
	assert_int_equal(tf_drm_parse_fdinfo("drm-driver:\tamdgpu\n"
					     "drm-client-id:\t1\n"
					     "drm-engine-gfx:\t-5 ns\n", &fi), -EINVAL);
	assert_int_equal(tf_drm_parse_fdinfo("", &fi), -ENOENT);
}

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mk(const char *rel)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	assert_int_equal(system(cmd), 0);
}

static void ln(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int tree_up(void **state)
{
	(void)state;
	strcpy(root, "/tmp/tf-drm-XXXXXX");
	assert_non_null(mkdtemp(root));
	/* /sys: an amdgpu card with power1_average, an i915 with energy */
	mk("sys/devices/pci0000:00/0000:03:00.0/hwmon/hwmon4");
	mk("sys/devices/pci0000:00/0000:00:02.0/hwmon/hwmon5");
	mk("sys/bus/pci/drivers/amdgpu");
	mk("sys/bus/pci/drivers/i915");
	mk("sys/class/drm/card0");
	mk("sys/class/drm/card1");
	mk("sys/class/drm/card0-DP-1");
	ln("../../../devices/pci0000:00/0000:03:00.0", "sys/class/drm/card0/device");
	ln("../../../devices/pci0000:00/0000:00:02.0", "sys/class/drm/card1/device");
	ln("../../../bus/pci/drivers/amdgpu",
	   "sys/devices/pci0000:00/0000:03:00.0/driver");
	ln("../../../bus/pci/drivers/i915",
	   "sys/devices/pci0000:00/0000:00:02.0/driver");
	put("sys/devices/pci0000:00/0000:03:00.0/hwmon/hwmon4/power1_average",
	    "150000000\n");
	put("sys/devices/pci0000:00/0000:03:00.0/hwmon/hwmon4/power1_cap_max",
	    "300000000\n");
	put("sys/devices/pci0000:00/0000:00:02.0/hwmon/hwmon5/energy1_input",
	    "123456789\n");
	/* /proc: pid 100 holds one amdgpu client through two fds; pid 200
	 * one i915 client; pid 300 a plain file */
	mk("proc/100/fd");
	mk("proc/100/fdinfo");
	mk("proc/200/fd");
	mk("proc/200/fdinfo");
	mk("proc/300/fd");
	mk("proc/300/fdinfo");
	ln("/dev/dri/renderD128", "proc/100/fd/5");
	ln("/dev/dri/renderD128", "proc/100/fd/6");
	put("proc/100/fdinfo/5", amdgpu_fdinfo);
	put("proc/100/fdinfo/6", amdgpu_fdinfo);
	ln("/dev/dri/card1", "proc/200/fd/3");
	put("proc/200/fdinfo/3", i915_fdinfo);
	ln("/etc/passwd", "proc/300/fd/3");
	put("proc/300/fdinfo/3", amdgpu_fdinfo);	/* not a DRM fd: ignored */
	return 0;
}

static int tree_down(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static int card_of(const struct tf_drm_card *c, int n, const char *drv)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(c[i].driver, drv))
			return i;
	return -1;
}

static void test_cards_and_scan(void **state)
{
	struct tf_drm_card cards[TF_DRM_MAX_CARDS];
	struct tf_drm_use *use;
	char sys[128], proc[128];
	int n, a, i, k;

	(void)state;
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(proc, sizeof(proc), "%s/proc", root);
	n = tf_drm_cards(sys, "", cards, TF_DRM_MAX_CARDS);
	assert_int_equal(n, 2);		/* the connector is not a card */
	a = card_of(cards, n, "amdgpu");
	i = card_of(cards, n, "i915");
	assert_true(a >= 0 && i >= 0);
	assert_string_equal(cards[a].pdev, "0000:03:00.0");
	assert_false(cards[a].energy);
	assert_int_equal(cards[a].max_uw, 300000000);
	assert_true(cards[i].energy);
	assert_int_equal(cards[i].max_uw, TF_DRM_MAX_UW);
	assert_int_equal(tf_drm_cards(sys, "nvidia,i915", cards, TF_DRM_MAX_CARDS), 1);
	n = tf_drm_cards(sys, NULL, cards, TF_DRM_MAX_CARDS);
	a = card_of(cards, n, "amdgpu");
	i = card_of(cards, n, "i915");

	n = tf_drm_scan(proc, cards, 2, &use);
	assert_int_equal(n, 2);
	for (k = 0; k < n; k++) {
		if (use[k].pid == 100) {
			assert_int_equal(use[k].card, a);
			/* one client through two fds counts once */
			assert_int_equal(use[k].engine_ns, 1250000);
		} else {
			assert_int_equal(use[k].pid, 200);
			assert_int_equal(use[k].card, i);
			assert_int_equal(use[k].engine_ns, 10000);
		}
	}
	free(use);
}

static void test_energy(void **state)
{
	struct tf_drm_card cards[TF_DRM_MAX_CARDS];
	uint64_t acc = 0, uj;
	char sys[128];
	int n, a, i;

	(void)state;
	snprintf(sys, sizeof(sys), "%s/sys", root);
	n = tf_drm_cards(sys, NULL, cards, TF_DRM_MAX_CARDS);
	a = card_of(cards, n, "amdgpu");
	i = card_of(cards, n, "i915");
	assert_int_equal(tf_drm_energy_uj(&cards[i], 0, &acc, &uj), 0);
	assert_int_equal(uj, 123456789);
	/* 150 W for half a second, twice: 75 J, then 150 J */
	assert_int_equal(tf_drm_energy_uj(&cards[a], 500000000, &acc, &uj), 0);
	assert_int_equal(uj, 75000000);
	assert_int_equal(tf_drm_energy_uj(&cards[a], 500000000, &acc, &uj), 0);
	assert_int_equal(uj, 150000000);
	cards[a].hwmon[0] = '\0';
	assert_int_equal(tf_drm_energy_uj(&cards[a], 1, &acc, &uj), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_amdgpu),
		cmocka_unit_test(test_parse_capacity_not_time),
		cmocka_unit_test(test_parse_not_drm_or_bad),
		cmocka_unit_test_setup_teardown(test_cards_and_scan, tree_up, tree_down),
		cmocka_unit_test_setup_teardown(test_energy, tree_up, tree_down),
	};

	return cmocka_run_group_tests_name("drm", tests, NULL, NULL);
}
