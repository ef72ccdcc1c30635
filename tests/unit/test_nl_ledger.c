// SPDX-License-Identifier: GPL-2.0
/*
 * The ledger push's encoder gives, byte for byte, the message libnl's
 * attribute calls give (the module's parser reads those), and fits rows
 * the same way.
 */
#include <errno.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "tf_test.h"
#include "nl_ledger.h"

/* The reference: agent/tf_nl.c's encoding before agent/nl_ledger.c. */
static int ref_row(struct nl_msg *msg, const struct tf_ledger_row *r)
{
	struct nlattr *one = nla_nest_start(msg, TF_A_LEDGER_ENTRY), *en, *e;
	unsigned int k;

	if (!one)
		return -1;
	if (nla_put_u32(msg, TF_A_LEDGER_PID, r->pid) ||
	    (r->tokens && nla_put_u64(msg, TF_A_LEDGER_TOKENS, r->tokens)) ||
	    (r->comm[0] && nla_put_string(msg, TF_A_LEDGER_COMM, r->comm)) ||
	    !(en = nla_nest_start(msg, TF_A_LEDGER_ENERGY)))
		goto full;
	for (k = 0; k < r->n_energy; k++) {
		e = nla_nest_start(msg, TF_A_ENERGY);
		if (!e ||
		    nla_put_u32(msg, TF_A_ENERGY_DOMAIN_ID, r->energy[k].domain_id) ||
		    nla_put_u64(msg, TF_A_ENERGY_UJ, r->energy[k].uj))
			goto full;
		nla_nest_end(msg, e);
	}
	nla_nest_end(msg, en);
	nla_nest_end(msg, one);
	return 0;
full:
	nla_nest_cancel(msg, one);
	return -1;
}

static struct nl_msg *new_msg(size_t size)
{
	struct nl_msg *msg = nlmsg_alloc_size(size);

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, 0,
				    TF_CMD_LEDGER_PUSH, TF_GENL_VERSION));
	return msg;
}

static int ref_fill(struct nl_msg *msg, uint32_t ppm,
		    const struct tf_ledger_row *rows, unsigned int n)
{
	struct nlattr *all;
	unsigned int i;

	if (nla_put_u32(msg, TF_A_LEDGER_GREEN_PPM, ppm) ||
	    !(all = nla_nest_start(msg, TF_A_LEDGER_ENTRIES)))
		return -EMSGSIZE;
	for (i = 0; i < n && !ref_row(msg, &rows[i]); i++)
		;
	nla_nest_end(msg, all);
	return (int)i;
}

/* Both encodings of rows[0..n) into messages of size; equal, and the count. */
static int both(const struct tf_ledger_row *rows, unsigned int n, size_t size)
{
	struct nl_msg *a = new_msg(size), *b = new_msg(size);
	int na = ref_fill(a, 123456, rows, n), nb = tf_nl_ledger_fill(b, 123456, rows, n);

	assert_int_equal(na, nb);
	assert_int_equal(nlmsg_hdr(a)->nlmsg_len, nlmsg_hdr(b)->nlmsg_len);
	assert_memory_equal(nlmsg_hdr(a), nlmsg_hdr(b), nlmsg_hdr(a)->nlmsg_len);
	nlmsg_free(a);
	nlmsg_free(b);
	return nb;
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random rows: tokens or not, comm of every length, 0 to 64 entries. */
static void test_same_bytes(void **state)
{
	static struct tf_energy_row pool[400 * 8 + TF_NL_MAX_ENERGIES];
	static struct tf_ledger_row rows[400];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned int i, k, used = 0, total = 0;
	int t, in;

	(void)state;
	for (t = 0; t < 20; t++) {
		used = 0;
		for (i = 0; i < 400; i++) {
			struct tf_ledger_row *r = &rows[i];
			size_t len = rnd(&x) % 16;

			memset(r, 0, sizeof(*r));
			r->pid = rnd(&x);
			r->tokens = rnd(&x) % 3 ? 0 : rnd(&x);
			memset(r->comm, 'a' + i % 26, len);
			r->n_energy = i == 7 ? TF_NL_MAX_ENERGIES : rnd(&x) % 9;
			r->energy = r->n_energy ? pool + used : NULL;
			for (k = 0; k < r->n_energy; k++) {
				pool[used + k].domain_id = rnd(&x) % 70;
				pool[used + k].uj = rnd(&x) >> (rnd(&x) % 64);
			}
			used += r->n_energy;
		}
		/* full messages, as the client sends them, until all are in */
		for (i = 0; i < 400; i += in) {
			in = both(rows + i, 400 - i, TF_NL_LEDGER_MSG_SIZE);
			assert_true(in > 0);
			total++;
		}
		/* small messages: the row that does not fit stays out whole */
		both(rows, 400, 512);
		both(rows, 3, 4096);
	}
	assert_true(total > 20);	/* several messages a round */
}

static void test_edges(void **state)
{
	struct tf_energy_row e[TF_NL_MAX_ENERGIES] = { { 1, 2 } };
	struct tf_ledger_row r = { .pid = 42, .energy = e };
	struct tf_ledger_row bad = { .pid = 43 };
	struct nl_msg *msg;

	(void)state;
	/* no rows: the header attributes alone */
	assert_int_equal(both(&r, 0, TF_NL_LEDGER_MSG_SIZE), 0);
	/* a pid alone (tfctl's ledger push with tokens only, say) */
	assert_int_equal(both(&r, 1, TF_NL_LEDGER_MSG_SIZE), 1);
	/* the biggest row: every entry */
	r.n_energy = TF_NL_MAX_ENERGIES;
	r.tokens = 7;
	strcpy(r.comm, "worker");
	assert_int_equal(both(&r, 1, TF_NL_LEDGER_MSG_SIZE), 1);
	/* a row bigger than the message: none put */
	assert_int_equal(both(&r, 1, 1024), 0);
	/* no room for even the header attributes */
	msg = new_msg(NLMSG_HDRLEN + GENL_HDRLEN + 4);
	assert_int_equal(tf_nl_ledger_fill(msg, 1, &r, 1), -EMSGSIZE);
	nlmsg_free(msg);
	/* a comm with no NUL (malformed): 15 bytes and the NUL go out */
	memset(bad.comm, 'x', sizeof(bad.comm));
	msg = new_msg(TF_NL_LEDGER_MSG_SIZE);
	assert_int_equal(tf_nl_ledger_fill(msg, 1, &bad, 1), 1);
	{
		struct nlattr *tb[TF_A_MAX + 1], *all, *one;

		assert_int_equal(genlmsg_parse(nlmsg_hdr(msg), 0, tb, TF_A_MAX, NULL), 0);
		all = tb[TF_A_LEDGER_ENTRIES];
		assert_non_null(all);
		one = nla_data(all);
		assert_int_equal(nla_parse_nested(tb, TF_A_MAX, one, NULL), 0);
		assert_int_equal(nla_get_u32(tb[TF_A_LEDGER_PID]), 43);
		assert_int_equal(nla_len(tb[TF_A_LEDGER_COMM]), 16);
		assert_string_equal(nla_data(tb[TF_A_LEDGER_COMM]), "xxxxxxxxxxxxxxx");
		assert_null(tb[TF_A_LEDGER_ENERGY]);	/* no entries: no nest */
	}
	nlmsg_free(msg);
}

/* what tf_nl_ledger_split() handed over: messages, their rows, an error */
struct sent {
	unsigned int msgs, rows, fail_at;
	size_t biggest;
};

static int count_rows(struct nl_msg *msg, void *arg)
{
	struct sent *st = arg;
	struct nlattr *tb[TF_A_MAX + 1], *pos;
	int rem;

	st->msgs++;
	if (nlmsg_hdr(msg)->nlmsg_len > st->biggest)
		st->biggest = nlmsg_hdr(msg)->nlmsg_len;
	assert_int_equal(genlmsg_parse(nlmsg_hdr(msg), 0, tb, TF_A_MAX, NULL), 0);
	assert_int_equal(nla_get_u32(tb[TF_A_LEDGER_GREEN_PPM]), 5);
	if (tb[TF_A_LEDGER_ENTRIES])
		nla_for_each_nested(pos, tb[TF_A_LEDGER_ENTRIES], rem)
			st->rows++;
	nlmsg_free(msg);
	return st->msgs == st->fail_at ? -EIO : 0;
}

static void test_split(void **state)
{
	static struct tf_ledger_row rows[2000];
	struct tf_energy_row e[TF_NL_MAX_ENERGIES] = { { 1, 1000 } };
	struct sent st = { 0 };
	unsigned int i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		rows[i] = (struct tf_ledger_row){ .pid = 100 + i, .n_energy = 1,
						  .energy = e };
		strcpy(rows[i].comm, "worker");
	}
	/* every row, once, in messages no bigger than the client's */
	assert_int_equal(tf_nl_ledger_split(0x20, 5, rows, 2000, count_rows, &st), 0);
	assert_int_equal(st.rows, 2000);
	assert_true(st.msgs > 1);
	assert_true(st.biggest <= TF_NL_LEDGER_MSG_SIZE);
	/* no rows: one message all the same */
	memset(&st, 0, sizeof(st));
	assert_int_equal(tf_nl_ledger_split(0x20, 5, rows, 0, count_rows, &st), 0);
	assert_int_equal(st.msgs, 1);
	/* the sender's first error ends it */
	memset(&st, 0, sizeof(st));
	st.fail_at = 2;
	assert_int_equal(tf_nl_ledger_split(0x20, 5, rows, 2000, count_rows, &st), -EIO);
	assert_int_equal(st.msgs, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_split),
	};

	return TF_RUN_TESTS("nl_ledger", tests);
}
