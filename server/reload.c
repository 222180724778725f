/* SPDX-License-Identifier: BSD-3-Clause */
/* reload.c -- apply a new configuration to a running server: added, removed, changed, kept */
#include "reload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct daxmr_reload {
	struct daxmr_server *srv;      /* borrowed */
	const struct daxmr_args *args; /* borrowed: how to build the configuration again */
	struct daxmr_config cur;       /* the file's (and --export's) exports in force */
	struct daxmr_config runtime;   /* those added by daxmrctl export */
};

/* Adds one configured export through ops; logs a failure. */
static int reload_add(const struct daxmr_config *cfg, const struct daxmr_config_export *e,
		      const struct daxmr_reload_ops *ops, void *arg)
{
	struct daxmr_export_cfg ec = { .name = e->name,
				       .path = e->path,
				       .ro = e->ro,
				       .allow_non_dax =
					       e->allow_non_dax || cfg->daemon.allow_non_dax,
				       .allow = e->allow,
				       .nallow = e->nallow,
				       .identities = e->identities,
				       .has_ack_budget = e->ack_budget_ms >= 0,
				       .ack_budget_ms = e->ack_budget_ms };
	int ret = ops->add(arg, &ec);

	if (ret)
		DAXMR_LOG_ERR("reload: export %s (%s): cannot add it: %s", e->name, e->where,
			      daxmr_log_strerror(ret));
	return ret;
}

/* Removes one export through ops; logs a failure. */
static int reload_remove(const char *name, const struct daxmr_reload_ops *ops, void *arg)
{
	int ret = ops->remove(arg, name);

	if (ret)
		DAXMR_LOG_ERR("reload: export %s: cannot remove it: %s", name,
			      daxmr_log_strerror(ret));
	return ret;
}

/* Keeps the first error. */
static void reload_first(int *ret_ptr, int r, size_t *failed)
{
	if (!r)
		return;
	(*failed)++;
	if (!*ret_ptr)
		*ret_ptr = r;
}

/* The difference, applied. */
int daxmr_reload_apply(const struct daxmr_config *old, const struct daxmr_config *new_cfg,
		       const struct daxmr_reload_ops *ops, void *arg,
		       struct daxmr_reload_summary *sum)
{
	const struct daxmr_config_export *o, *n;
	int ret = 0;
	size_t i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < old->nexports; i++) {
		o = &old->exports[i];
		n = daxmr_config_find(new_cfg, o->name);
		if (!n) {
			DAXMR_LOG_NTC("reload: export %s: removed from the configuration", o->name);
			reload_first(&ret, reload_remove(o->name, ops, arg), &sum->failed);
			sum->removed++;
		} else if (!daxmr_config_export_equal(o, n) ||
			   (o->allow_non_dax || old->daemon.allow_non_dax) !=
				   (n->allow_non_dax || new_cfg->daemon.allow_non_dax)) {
			DAXMR_LOG_NTC("reload: export %s: changed (%s): revoked and exported again",
				      o->name, n->where);
			reload_first(&ret, reload_remove(o->name, ops, arg), &sum->failed);
			reload_first(&ret, reload_add(new_cfg, n, ops, arg), &sum->failed);
			sum->changed++;
		} else {
			sum->unchanged++;
		}
	}
	for (i = 0; i < new_cfg->nexports; i++) {
		n = &new_cfg->exports[i];
		if (daxmr_config_find(old, n->name))
			continue;
		DAXMR_LOG_NTC("reload: export %s: added (%s)", n->name, n->where);
		reload_first(&ret, reload_add(new_cfg, n, ops, arg), &sum->failed);
		sum->added++;
	}
	return ret;
}

/* The server as the ops' target. */
static int reload_srv_add(void *arg, const struct daxmr_export_cfg *cfg)
{
	return daxmr_server_export_add(arg, cfg);
}

static int reload_srv_remove(void *arg, const char *name)
{
	return daxmr_server_export_remove(arg, name);
}

static const struct daxmr_reload_ops reload_srv_ops = { .add = reload_srv_add,
							.remove = reload_srv_remove };

int daxmr_reload_new(struct daxmr_server *srv, struct daxmr_args *args,
		     struct daxmr_reload **rl_ptr)
{
	struct daxmr_reload *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return -ENOMEM;
	rl->srv = srv;
	rl->args = args;
	rl->cur = args->cfg; /* taken over */
	daxmr_config_init(&args->cfg);
	daxmr_config_init(&rl->runtime);
	*rl_ptr = rl;
	return 0;
}

void daxmr_reload_delete(struct daxmr_reload **rl_ptr)
{
	if (!rl_ptr || !*rl_ptr)
		return;
	daxmr_config_free(&(*rl_ptr)->cur);
	daxmr_config_free(&(*rl_ptr)->runtime);
	free(*rl_ptr);
	*rl_ptr = NULL;
}

/* Says which daemon settings changed: they take a restart. */
static void reload_settings_note(const struct daxmr_config_daemon *o,
				 const struct daxmr_config_daemon *n)
{
	static const char *const keys[] = { "listen", "secret-file", "ctl-socket", "ctl-group",
					    "metrics" };
	const char *ov[] = { o->listen, o->secret_file, o->ctl_socket, o->ctl_group, o->metrics };
	const char *nv[] = { n->listen, n->secret_file, n->ctl_socket, n->ctl_group, n->metrics };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((ov[i] == NULL) != (nv[i] == NULL) || (ov[i] && strcmp(ov[i], nv[i]) != 0))
			DAXMR_LOG_WRN("reload: set %s changed: it takes effect at the next restart",
				      keys[i]);
	if (o->max_conns_per_addr != n->max_conns_per_addr ||
	    o->max_handshakes_per_addr != n->max_handshakes_per_addr)
		DAXMR_LOG_WRN(
			"reload: set max-conns-per-addr/max-handshakes-per-addr changed: they "
			"take effect at the next restart");
	if (o->ack_budget_ms != n->ack_budget_ms || o->odp_check_warn != n->odp_check_warn)
		DAXMR_LOG_WRN("reload: set ack-budget-ms/odp-check changed: they take effect at "
			      "the next restart (an export's own ack-budget-ms=N is applied now)");
}

/*
 * Re-reads the keys directory (--keys-dir, else the new file's set keys-dir) into ring. 0 with
 * *loaded saying whether there was one to read, or -errno with why (the reload is then refused).
 */
static int reload_keys_load(const struct daxmr_reload *rl, const struct daxmr_config *next,
			    struct daxmr_auth_keyring *ring, bool *loaded, char *why,
			    size_t why_size)
{
	const char *dir = rl->args->cli_keys_dir ? rl->args->cli_keys_dir : next->daemon.keys_dir;
	int ret;

	*loaded = false;
	if (!dir) {
		if (rl->cur.daemon.keys_dir)
			DAXMR_LOG_WRN(
				"reload: set keys-dir removed: identities stay required until "
				"the next restart; the keys in force are kept");
		return 0;
	}
	ret = daxmr_auth_keyring_load(dir, ring, why, why_size);
	if (ret)
		return ret;
	*loaded = true;
	return 0;
}

/* The reloaded keys in force: a withdrawn identity's connections are cut now. */
static void reload_keys_apply(struct daxmr_reload *rl, struct daxmr_auth_keyring *ring)
{
	size_t n = ring->n;
	int cut = daxmr_server_set_keys(rl->srv, ring);

	if (cut == -ENOTSUP)
		DAXMR_LOG_WRN("reload: a keys directory was given, but daxmrd started without one: "
			      "identities take effect at the next restart");
	else
		DAXMR_LOG_NTC("reload: %zu identities in force, %d connections of withdrawn or "
			      "changed ones cut",
			      n, cut);
	daxmr_auth_keyring_free(ring);
}

int daxmr_reload_run(struct daxmr_reload *rl, struct daxmr_reload_summary *sum, char *why,
		     size_t why_size)
{
	struct daxmr_auth_keyring ring = { NULL, 0 };
	struct daxmr_config next;
	bool keys;
	size_t i;
	int ret;

	memset(sum, 0, sizeof(*sum));
	ret = daxmr_args_reload(rl->args, &next, why, why_size);
	if (ret) {
		DAXMR_LOG_ERR("reload refused, nothing changed: %s", why);
		return ret;
	}
	for (i = 0; i < next.nexports; i++)
		if (daxmr_config_find(&rl->runtime, next.exports[i].name)) {
			snprintf(why, why_size,
				 "%s: export %s is defined twice (first by daxmrctl export: "
				 "daxmrctl unexport it first)",
				 next.exports[i].where, next.exports[i].name);
			DAXMR_LOG_ERR("reload refused, nothing changed: %s", why);
			daxmr_config_free(&next);
			return -EINVAL;
		}
	ret = reload_keys_load(rl, &next, &ring, &keys, why, why_size);
	if (ret) {
		DAXMR_LOG_ERR("reload refused, nothing changed: keys directory: %s", why);
		daxmr_config_free(&next);
		return ret;
	}
	if (keys)
		reload_keys_apply(rl, &ring);
	reload_settings_note(&rl->cur.daemon, &next.daemon);
	ret = daxmr_reload_apply(&rl->cur, &next, &reload_srv_ops, rl->srv, sum);
	daxmr_config_free(&rl->cur);
	rl->cur = next;
	if (ret)
		snprintf(why, why_size, "%zu of the changes failed (see the log): %s", sum->failed,
			 daxmr_log_strerror(ret));
	DAXMR_LOG_NTC("reload: %zu added, %zu removed, %zu changed, %zu unchanged%s", sum->added,
		      sum->removed, sum->changed, sum->unchanged, ret ? ", with failures" : "");
	return ret;
}

/* Moves export i of from (its strings) to the end of to; from loses it. */
static int reload_move(struct daxmr_config *from, size_t i, struct daxmr_config *to)
{
	struct daxmr_config_export *grown;

	if (to->nexports == to->cap) {
		size_t cap = to->cap ? to->cap * 2 : 8;

		grown = reallocarray(to->exports, cap, sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		to->exports = grown;
		to->cap = cap;
	}
	to->exports[to->nexports++] = from->exports[i];
	memmove(&from->exports[i], &from->exports[i + 1],
		(from->nexports - i - 1) * sizeof(from->exports[0]));
	from->nexports--;
	return 0;
}

/* Quotes a field for an exports line: "..." with \" and \\. */
static int reload_quote(char *dst, size_t size, const char *s)
{
	size_t o = 0;

	if (size < 3)
		return -ENAMETOOLONG;
	dst[o++] = '"';
	for (; *s; s++) {
		if (o + 4 > size)
			return -ENAMETOOLONG;
		if (*s == '"' || *s == '\\')
			dst[o++] = '\\';
		dst[o++] = *s;
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return 0;
}

int daxmr_reload_export(struct daxmr_reload *rl, const char *const *fields, size_t n, char *why,
			size_t why_size)
{
	struct daxmr_config one;
	char line[8192], q[4200];
	size_t i, off = 0;
	int ret;

	if (n < 2) {
		snprintf(why, why_size, "export: expected NAME PATH [OPTIONS...]");
		return -EINVAL;
	}
	line[0] = '\0';
	for (i = 0; i < n; i++) {
		ret = reload_quote(q, sizeof(q), fields[i]);
		if (ret || off + strlen(q) + 2 > sizeof(line)) {
			snprintf(why, why_size, "export: the arguments are too long");
			return -EINVAL;
		}
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s", i ? " " : "", q);
	}
	daxmr_config_init(&one);
	ret = daxmr_config_parse_text(&one, "daxmrctl export", line, why, why_size);
	if (ret) {
		daxmr_config_free(&one);
		return ret;
	}
	if (daxmr_config_find(&rl->cur, one.exports[0].name) ||
	    daxmr_config_find(&rl->runtime, one.exports[0].name)) {
		snprintf(why, why_size, "export %s: the name is exported already",
			 one.exports[0].name);
		daxmr_config_free(&one);
		return -EEXIST;
	}
	one.daemon.allow_non_dax = rl->cur.daemon.allow_non_dax;
	ret = reload_add(&one, &one.exports[0], &reload_srv_ops, rl->srv);
	if (ret == 0)
		ret = reload_move(&one, 0, &rl->runtime);
	if (ret)
		snprintf(why, why_size, "export %s: %s", fields[0],
			 ret == -EEXIST ? "the name is exported already" : daxmr_log_strerror(ret));
	daxmr_config_free(&one);
	return ret;
}

int daxmr_reload_unexport(struct daxmr_reload *rl, const char *name, char *why, size_t why_size)
{
	struct daxmr_config *from[] = { &rl->runtime, &rl->cur };
	struct daxmr_config_export e;
	size_t i, j;
	int ret;

	for (i = 0; i < 2; i++)
		for (j = 0; j < from[i]->nexports; j++) {
			if (strcmp(from[i]->exports[j].name, name) != 0)
				continue;
			ret = daxmr_server_export_remove(rl->srv, name);
			if (ret) {
				snprintf(why, why_size, "unexport %s: %s", name,
					 daxmr_log_strerror(ret));
				return ret;
			}
			e = from[i]->exports[j];
			memmove(&from[i]->exports[j], &from[i]->exports[j + 1],
				(from[i]->nexports - j - 1) * sizeof(e));
			from[i]->nexports--;
			free(e.name);
			free(e.path);
			free(e.allow);
			free(e.identities);
			free(e.where);
			return 0;
		}
	snprintf(why, why_size, "unexport %s: no such export", name);
	return -ENOENT;
}
