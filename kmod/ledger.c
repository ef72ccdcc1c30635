// SPDX-License-Identifier: GPL-2.0
/*
 * Accounts live in a hash table by pid and a list (for dumps), bounded by
 * ledger_max. A push is validated whole before any of it is applied: a
 * rejected push changes nothing. A process that exits (noticed by the
 * periodic reap, or by its group's) leaves a final bill: multicast, and kept
 * in a ring of the last TF_BILLS_MAX (older ones are counted, not kept).
 */
#include <linux/bitmap.h>
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
 * A push is parsed once, in pass 1, into these: pass 2 applies them without
 * parsing again. An agent pushes a few thousand entries a tick, each naming
 * one or two of the TF_MAX_DOMAINS domains; nothing per entry walks them all.
 */
struct tf_push_ent {
	pid_t nr;
	char comm[TASK_COMM_LEN];
	u64 tokens;
	u64 green_uj;
	struct tf_group *group;		/* stable: tf_lock is held throughout */
	unsigned int first, n;		/* its domains in the pairs */
};

struct tf_push_pair {
	u32 id;
	u64 uj;
};

/*
 * Parses one entry into *p and its energy, one pair per domain, into pairs
 * (room for as many as it has TF_A_ENERGY nests); checks everything a push
 * can get wrong. energy is zeroed scratch of TF_MAX_DOMAINS, left zeroed.
 */
static int tf_entry_parse(const struct nlattr *nest, u32 green_ppm,
			  struct tf_push_ent *p, struct tf_push_pair *pairs,
			  u64 *energy, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TF_A_MAX + 1], *en[TF_A_ENERGY_MAX + 1], *pos;
	DECLARE_BITMAP(mask, TF_MAX_DOMAINS);
	unsigned int id;
	u64 sum = 0, uj;
	int rem, err;

	/* deep: the policy validates every TF_A_ENERGY nest as well */
	err = nla_parse_nested(tb, TF_A_MAX, nest, tf_entry_policy, extack);
	if (err)
		return err;
	if (!tb[TF_A_LEDGER_PID]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "TF_A_LEDGER_PID: missing in entry");
		return -EINVAL;
	}
	p->nr = nla_get_u32(tb[TF_A_LEDGER_PID]);
	p->tokens = tb[TF_A_LEDGER_TOKENS] ?
		    nla_get_u64(tb[TF_A_LEDGER_TOKENS]) : 0;
	if (p->tokens > TF_TICK_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TF_A_LEDGER_TOKENS],
				    "TF_A_LEDGER_TOKENS: more than a tick can hold");
		return -ERANGE;
	}
	p->comm[0] = '\0';
	if (tb[TF_A_LEDGER_COMM])
		nla_strscpy(p->comm, tb[TF_A_LEDGER_COMM], sizeof(p->comm));
	p->n = 0;
	p->green_uj = 0;
	if (!tb[TF_A_LEDGER_ENERGY])
		return 0;
	bitmap_zero(mask, TF_MAX_DOMAINS);
	nla_for_each_nested(pos, tb[TF_A_LEDGER_ENERGY], rem) {
		/* validated above: only the two attributes to find */
		err = nla_parse_nested(en, TF_A_ENERGY_MAX, pos, NULL, extack);
		if (err)
			goto out;
		if (!en[TF_A_ENERGY_DOMAIN_ID] || !en[TF_A_ENERGY_UJ]) {
			NL_SET_ERR_MSG_ATTR(extack, pos,
					    "TF_A_ENERGY: needs TF_A_ENERGY_DOMAIN_ID and TF_A_ENERGY_UJ");
			err = -EINVAL;
			goto out;
		}
		id = nla_get_u32(en[TF_A_ENERGY_DOMAIN_ID]);
		if (!tf_domain_get(id)) {
			NL_SET_ERR_MSG_ATTR(extack, en[TF_A_ENERGY_DOMAIN_ID],
					    "TF_A_ENERGY_DOMAIN_ID: no such domain");
			err = -ENOENT;
			goto out;
		}
		uj = nla_get_u64(en[TF_A_ENERGY_UJ]);
		sum += uj;
		/* each term is bounded first: the sums cannot wrap */
		if (uj > TF_TICK_MAX || sum > TF_TICK_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, en[TF_A_ENERGY_UJ],
					    "TF_A_ENERGY_UJ: more than a tick can hold");
			err = -ERANGE;
			goto out;
		}
		energy[id] += uj;
		__set_bit(id, mask);
	}
	for_each_set_bit(id, mask, TF_MAX_DOMAINS) {
		pairs[p->n].id = id;
		pairs[p->n++].uj = energy[id];
	}
	/* sum <= 2^48, ppm < 2^20: their product may not fit in 64 bits */
	p->green_uj = mul_u64_u32_div(sum, green_ppm, TF_PPM);
out:
	for_each_set_bit(id, mask, TF_MAX_DOMAINS)
		energy[id] = 0;
	return err;
}

/* Room in an account, bill or group's counters for one more entry. */
static bool tf_fits(const u64 *energy, u64 tokens, u64 green,
		    const struct tf_push_ent *p, const struct tf_push_pair *pairs)
{
	unsigned int i;

	for (i = 0; i < p->n; i++)
		if (energy[pairs[i].id] > TF_TOTAL_MAX - pairs[i].uj)
			return false;
	return tokens <= TF_TOTAL_MAX - p->tokens &&
	       green <= TF_TOTAL_MAX - p->green_uj;
}

static void tf_add(u64 *energy, u64 *tokens, u64 *green,
		   const struct tf_push_ent *p, const struct tf_push_pair *pairs)
{
	unsigned int i;

	for (i = 0; i < p->n; i++)
		energy[pairs[i].id] += pairs[i].uj;
	*tokens += p->tokens;
	*green += p->green_uj;
}

static void tf_account_add(struct tf_account *dst, const struct tf_push_ent *p,
			   const struct tf_push_pair *pairs)
{
	tf_add(dst->energy_uj, &dst->tokens, &dst->green_uj, p, pairs);
	if (p->group)
		tf_add(p->group->energy_uj, &p->group->tokens,
		       &p->group->green_uj, p, pairs);
}

static bool tf_alive_nr(pid_t nr)
{
	struct pid *pid = find_get_pid(nr);
	bool alive = pid && pid_has_task(pid, PIDTYPE_TGID);

	put_pid(pid);
	return alive;
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
	unsigned int fresh = 0, n = 0, npairs = 0, k;
	struct tf_push_pair *pairs = NULL;
	struct tf_push_ent *ents = NULL;
	struct nlattr *pos;
	u64 *energy;
	int rem, err = 0;

	nla_for_each_nested(pos, entries, rem)
		n++;
	energy = kcalloc(TF_MAX_DOMAINS, sizeof(*energy), GFP_KERNEL);
	ents = kvmalloc_array(max(n, 1U), sizeof(*ents), GFP_KERNEL);
	/* a pair per TF_A_ENERGY nest at most, and each takes 24 bytes */
	pairs = kvmalloc_array(nla_len(entries) / 24 + 1, sizeof(*pairs),
			       GFP_KERNEL);
	if (!energy || !ents || !pairs) {
		err = -ENOMEM;
		goto out;
	}
	/* pass 1: all of it valid, and room for every new process */
	k = 0;
	nla_for_each_nested(pos, entries, rem) {
		struct tf_push_ent *p = &ents[k++];
		struct tf_account *dst;
		struct tf_entry *e;
		struct tf_group *g;

		p->first = npairs;
		err = tf_entry_parse(pos, green_ppm, p, pairs + npairs, energy,
				     extack);
		if (err)
			goto out;
		npairs += p->n;
		e = tf_entry_find(p->nr);
		if (!e)
			fresh++;
		/* where pass 2 adds it: the account, else a bill; its group */
		dst = e ? &e->acct : tf_alive_nr(p->nr) ? NULL : tf_bill_find(p->nr);
		g = e ? tf_group_of_pid(e->pid, p->nr) : tf_group_of(p->nr);
		p->group = g;
		if ((dst && !tf_fits(dst->energy_uj, dst->tokens, dst->green_uj,
				     p, pairs + p->first)) ||
		    (g && !tf_fits(g->energy_uj, g->tokens, g->green_uj, p,
				   pairs + p->first))) {
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
	for (k = 0; k < n; k++) {
		const struct tf_push_ent *p = &ents[k];
		const struct tf_push_pair *pp = pairs + p->first;
		/* found again: an earlier entry of this push may have billed it */
		struct tf_entry *e = tf_entry_find(p->nr);

		/*
		 * The last of a process's time, reported after the module
		 * billed it: it joins that bill rather than making a second.
		 */
		if (!e && !tf_alive_nr(p->nr)) {
			struct tf_account *b = tf_bill_find(p->nr);

			if (b) {
				tf_account_add(b, p, pp);
				tf_nl_notify_bill(b);
				continue;
			}
		}
		if (!e)
			e = tf_entry_new(p->nr);
		if (!e) {
			err = -ENOMEM;
			goto out;
		}
		/* the sensor's name for it: the task may be gone already */
		if (p->comm[0])
			memcpy(e->acct.comm, p->comm, sizeof(e->acct.comm));
		tf_account_add(&e->acct, p, pp);
		strscpy(e->acct.group, p->group ? p->group->name : "",
			sizeof(e->acct.group));
		/* a process already gone is billed at once: nothing is lost */
		if (!tf_alive(e))
			tf_ledger_exit(p->nr);
	}
out:
	kvfree(pairs);
	kvfree(ents);
	kfree(energy);
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
