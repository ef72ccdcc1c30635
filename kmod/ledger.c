// SPDX-License-Identifier: GPL-2.0
/*
 * Accounts live in a hash table by pid and a list (for dumps), bounded by
 * ledger_max. A push is validated whole before any of it is applied: a
 * rejected push changes nothing. A process that exits (noticed by the
 * periodic reap, or by its group's) leaves a final bill: multicast, and kept
 * in a ring of the last TF_BILLS_MAX (older ones are counted, not kept).
 */
#include <linux/bits.h>
#include <linux/hashtable.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <net/netlink.h>

#include "group.h"
#include "ledger.h"
#include "netlink.h"
#include "ring.h"
#include "tokenfactory.h"

static unsigned int ledger_max = 4096;
module_param(ledger_max, uint, 0444);
MODULE_PARM_DESC(ledger_max, "Most per-process accounts (default 4096)");

#define TF_LEDGER_HASH_BITS 10
#define TF_PPM 1000000U
/*
 * Bounds that keep every counter from wrapping (tf-nlfuzz found a push of
 * ~0 µJ wrapping an account backwards): one entry's energy of a tick, and
 * its tokens, are at most 2^48 (281 GJ: 1 MW for 78 hours), and each account
 * and group counter is at most 2^63 before an entry is added. The entries
 * nest has a 16-bit length, so a push holds fewer than 2^13 entries: all of
 * them add less than 2^61 to any counter, which stays below U64_MAX.
 */
#define TF_TICK_MAX	BIT_ULL(48)
#define TF_TOTAL_MAX	BIT_ULL(63)

struct tf_entry {
	struct hlist_node hnode;
	struct list_head node;
	struct pid *pid;
	struct tf_account acct;
};

static DEFINE_HASHTABLE(tf_accounts, TF_LEDGER_HASH_BITS);
static LIST_HEAD(tf_account_list);
static unsigned int tf_nr_accounts;
static u64 tf_overflows;

static struct tf_account *tf_bills;	/* TF_BILLS_MAX slots */
static struct tf_ring tf_bill_ring = { .size = TF_BILLS_MAX };

static struct tf_entry *tf_entry_find(pid_t nr)
{
	struct tf_entry *e;

	hash_for_each_possible(tf_accounts, e, hnode, nr)
		if (e->acct.nr == nr)
			return e;
	return NULL;
}

u64 tf_ledger_overflows(void)
{
	return tf_overflows;
}

u64 tf_bill_overflows(void)
{
	return tf_bill_ring.dropped;
}

const struct tf_account *tf_ledger_at(unsigned long pos)
{
	struct tf_entry *e;

	list_for_each_entry(e, &tf_account_list, node)
		if (!pos--)
			return &e->acct;
	return NULL;
}

const struct tf_account *tf_bill_at(unsigned long pos)
{
	if (pos >= tf_bill_ring.count)
		return NULL;
	return &tf_bills[tf_ring_slot(&tf_bill_ring, pos)];
}

/* The newest bill of nr, if it is still in the recent-exits table. */
static struct tf_account *tf_bill_find(pid_t nr)
{
	unsigned int pos = tf_bill_ring.count;

	while (pos--) {
		struct tf_account *b = &tf_bills[tf_ring_slot(&tf_bill_ring, pos)];

		if (b->nr == nr)
			return b;
	}
	return NULL;
}

static void tf_bill(const struct tf_account *a)
{
	struct tf_account *b = &tf_bills[tf_ring_push(&tf_bill_ring)];

	*b = *a;
	b->exit_ns = ktime_get_real_ns();
	tf_nl_notify_bill(b);
}

static void tf_entry_free(struct tf_entry *e)
{
	hash_del(&e->hnode);
	list_del(&e->node);
	put_pid(e->pid);
	kfree(e);
	tf_nr_accounts--;
}

static bool tf_alive(const struct tf_entry *e)
{
	return e->pid && pid_has_task(e->pid, PIDTYPE_TGID);
}

void tf_ledger_exit(pid_t nr)
{
	struct tf_entry *e = tf_entry_find(nr);

	if (!e)
		return;
	tf_bill(&e->acct);
	tf_entry_free(e);
}

void tf_ledger_reap(void)
{
	struct tf_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &tf_account_list, node) {
		if (tf_alive(e))
			continue;
		tf_bill(&e->acct);
		tf_entry_free(e);
	}
}

static const struct nla_policy tf_energy_policy[TF_A_ENERGY_MAX + 1] = {
	[TF_A_ENERGY_DOMAIN_ID] = NLA_POLICY_MAX(NLA_U32, TF_MAX_DOMAINS - 1),
	[TF_A_ENERGY_UJ] = { .type = NLA_U64 },
};

static const struct nla_policy tf_entry_policy[TF_A_MAX + 1] = {
	[TF_A_LEDGER_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[TF_A_LEDGER_ENERGY] = NLA_POLICY_NESTED_ARRAY(tf_energy_policy),
	[TF_A_LEDGER_TOKENS] = { .type = NLA_U64 },
	[TF_A_LEDGER_COMM] = { .type = NLA_NUL_STRING, .len = TASK_COMM_LEN - 1 },
};

/*
 * Parses one entry into *a (energy per domain of this tick); checks
 * everything a push can get wrong.
 */
static int tf_entry_parse(const struct nlattr *nest, struct tf_account *a,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TF_A_MAX + 1], *en[TF_A_ENERGY_MAX + 1], *pos;
	u64 sum = 0;
	int rem, err;
	u32 id;

	err = nla_parse_nested(tb, TF_A_MAX, nest, tf_entry_policy, extack);
	if (err)
		return err;
	if (!tb[TF_A_LEDGER_PID]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "TF_A_LEDGER_PID: missing in entry");
		return -EINVAL;
	}
	memset(a, 0, sizeof(*a));
	a->nr = nla_get_u32(tb[TF_A_LEDGER_PID]);
	if (tb[TF_A_LEDGER_TOKENS])
		a->tokens = nla_get_u64(tb[TF_A_LEDGER_TOKENS]);
	if (a->tokens > TF_TICK_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TF_A_LEDGER_TOKENS],
				    "TF_A_LEDGER_TOKENS: more than a tick can hold");
		return -ERANGE;
	}
	if (tb[TF_A_LEDGER_COMM])
		nla_strscpy(a->comm, tb[TF_A_LEDGER_COMM], sizeof(a->comm));
	if (!tb[TF_A_LEDGER_ENERGY])
		return 0;
	nla_for_each_nested(pos, tb[TF_A_LEDGER_ENERGY], rem) {
		err = nla_parse_nested(en, TF_A_ENERGY_MAX, pos,
				       tf_energy_policy, extack);
		if (err)
			return err;
		if (!en[TF_A_ENERGY_DOMAIN_ID] || !en[TF_A_ENERGY_UJ]) {
			NL_SET_ERR_MSG_ATTR(extack, pos,
					    "TF_A_ENERGY: needs TF_A_ENERGY_DOMAIN_ID and TF_A_ENERGY_UJ");
			return -EINVAL;
		}
		id = nla_get_u32(en[TF_A_ENERGY_DOMAIN_ID]);
		if (!tf_domain_get(id)) {
			NL_SET_ERR_MSG_ATTR(extack, en[TF_A_ENERGY_DOMAIN_ID],
					    "TF_A_ENERGY_DOMAIN_ID: no such domain");
			return -ENOENT;
		}
		sum += nla_get_u64(en[TF_A_ENERGY_UJ]);
		a->energy_uj[id] += nla_get_u64(en[TF_A_ENERGY_UJ]);
		/* each term is bounded first: the sums cannot wrap */
		if (nla_get_u64(en[TF_A_ENERGY_UJ]) > TF_TICK_MAX ||
		    sum > TF_TICK_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, en[TF_A_ENERGY_UJ],
					    "TF_A_ENERGY_UJ: more than a tick can hold");
			return -ERANGE;
		}
	}
	return 0;
}

/* Room in an account, bill or group's counters for one more entry. */
static bool tf_fits(const u64 *energy, u64 tokens, u64 green,
		    const struct tf_account *a, u64 a_green)
{
	int i;

	for (i = 0; i < TF_MAX_DOMAINS; i++)
		if (energy[i] > TF_TOTAL_MAX - a->energy_uj[i])
			return false;
	return tokens <= TF_TOTAL_MAX - a->tokens &&
	       green <= TF_TOTAL_MAX - a_green;
}

/* The green part of a tick's energy: its share covered by surplus. */
static u64 tf_green_uj(const struct tf_account *d, u32 green_ppm)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < TF_MAX_DOMAINS; i++)
		sum += d->energy_uj[i];
	/* sum <= 2^48, ppm < 2^20: their product may not fit in 64 bits */
	return mul_u64_u32_div(sum, green_ppm, TF_PPM);
}

static void tf_account_add(struct tf_account *dst, const struct tf_account *d,
			   u64 green_uj)
{
	int i;

	for (i = 0; i < TF_MAX_DOMAINS; i++)
		dst->energy_uj[i] += d->energy_uj[i];
	dst->tokens += d->tokens;
	dst->green_uj += green_uj;
}

static bool tf_alive_nr(pid_t nr)
{
	struct pid *pid = find_get_pid(nr);
	bool alive = pid && pid_has_task(pid, PIDTYPE_TGID);

	put_pid(pid);
	return alive;
}

/* Adds a tick's share to the process's group, if it has one. */
static struct tf_group *tf_group_add(const struct tf_account *a, u64 green)
{
	struct tf_group *g = tf_group_of(a->nr);
	int i;

	if (!g)
		return NULL;
	for (i = 0; i < TF_MAX_DOMAINS; i++)
		g->energy_uj[i] += a->energy_uj[i];
	g->tokens += a->tokens;
	g->green_uj += green;
	return g;
}

static struct tf_entry *tf_entry_new(pid_t nr)
{
	struct task_struct *task;
	struct tf_entry *e;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return NULL;
	e->acct.nr = nr;
	e->pid = find_get_pid(nr);
	task = get_pid_task(e->pid, PIDTYPE_TGID);
	if (task) {
		get_task_comm(e->acct.comm, task);
		put_task_struct(task);
	}
	hash_add(tf_accounts, &e->hnode, nr);
	list_add_tail(&e->node, &tf_account_list);
	tf_nr_accounts++;
	return e;
}

int tf_ledger_push(struct nlattr *entries, u32 green_ppm,
		   struct netlink_ext_ack *extack)
{
	struct tf_account *a;
	struct nlattr *pos;
	unsigned int fresh = 0;
	int rem, err = 0;

	a = kmalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	/* pass 1: all of it valid, and room for every new process */
	nla_for_each_nested(pos, entries, rem) {
		struct tf_entry *e;
		struct tf_account *dst;
		struct tf_group *g;
		u64 green;

		err = tf_entry_parse(pos, a, extack);
		if (err)
			goto out;
		e = tf_entry_find(a->nr);
		if (!e)
			fresh++;
		/* where pass 2 adds it: the account, else a bill; its group */
		dst = e ? &e->acct : tf_alive_nr(a->nr) ? NULL : tf_bill_find(a->nr);
		g = tf_group_of(a->nr);
		green = tf_green_uj(a, green_ppm);
		if ((dst && !tf_fits(dst->energy_uj, dst->tokens, dst->green_uj,
				     a, green)) ||
		    (g && !tf_fits(g->energy_uj, g->tokens, g->green_uj, a, green))) {
			NL_SET_ERR_MSG_ATTR(extack, pos,
					    "TF_A_LEDGER_ENTRY: the account is full");
			err = -ERANGE;
			goto out;
		}
	}
	if (tf_nr_accounts + fresh > ledger_max) {
		tf_overflows++;
		NL_SET_ERR_MSG(extack, "ledger table full (ledger_max)");
		err = -ENOSPC;
		goto out;
	}
	/* pass 2: apply */
	nla_for_each_nested(pos, entries, rem) {
		struct tf_group *g;
		struct tf_entry *e;
		u64 green;

		tf_entry_parse(pos, a, NULL);
		e = tf_entry_find(a->nr);
		green = tf_green_uj(a, green_ppm);
		/*
		 * The last of a process's time, reported after the module
		 * billed it: it joins that bill rather than making a second.
		 */
		if (!e && !tf_alive_nr(a->nr)) {
			struct tf_account *b = tf_bill_find(a->nr);

			if (b) {
				tf_account_add(b, a, green);
				tf_group_add(a, green);
				tf_nl_notify_bill(b);
				continue;
			}
		}
		if (!e)
			e = tf_entry_new(a->nr);
		if (!e) {
			err = -ENOMEM;
			goto out;
		}
		/* the sensor's name for it: the task may be gone already */
		if (a->comm[0])
			memcpy(e->acct.comm, a->comm, sizeof(e->acct.comm));
		tf_account_add(&e->acct, a, green);
		g = tf_group_add(a, green);
		strscpy(e->acct.group, g ? g->name : "", sizeof(e->acct.group));
		/* a process already gone is billed at once: nothing is lost */
		if (!tf_alive(e))
			tf_ledger_exit(a->nr);
	}
out:
	kfree(a);
	return err;
}

int tf_ledger_init(void)
{
	tf_bills = vzalloc(array_size(TF_BILLS_MAX, sizeof(*tf_bills)));
	return tf_bills ? 0 : -ENOMEM;
}

void tf_ledger_exit_all(void)
{
	struct tf_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &tf_account_list, node)
		tf_entry_free(e);
	vfree(tf_bills);
	tf_bills = NULL;
	tf_bill_ring.count = 0;
	tf_bill_ring.head = 0;
	tf_bill_ring.dropped = 0;
}
