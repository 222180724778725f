/* SPDX-License-Identifier: BSD-3-Clause */
/* config.c -- daxmrd's exports file (daxmr.exports(5)): exports, daemon settings, where each is */

/*
 * The grammar (man/daxmr.exports.5 is its documentation):
 *
 *   file    := { line '\n' }
 *   line    := blank | comment | export | setting
 *   comment := '#' anything            (also after the last field of a line)
 *   export  := NAME PATH { OPTIONS }   (PATH absolute; OPTIONS: OPTION{','OPTION})
 *   setting := "set" KEY VALUE         (KEY never starts with '/': no clash with an export "set")
 *   field   := a run of non-blank characters, or "..." with \" and \\ escapes
 *
 * A line is split into fields first, each with its column, so that every error can say
 * FILE:LINE:COL. Nothing here touches the files exported: --check (check.c) does that.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "proto.h"

#define CONFIG_FIELDS_MAX 64
#define CONFIG_FILE_MAX (4u << 20) /* bytes: an exports file past 4 MiB is a mistake */

/* One field of a line: its unquoted text and its 1-based column. */
struct config_field {
	char *text; /* owned */
	size_t col;
};

/* Where a line is, for messages. */
struct config_pos {
	const char *file; /* borrowed */
	unsigned int line;
};

/* Writes "FILE:LINE:COL: cause" into why; returns -EINVAL. */
__attribute__((format(printf, 5, 6))) static int config_error(const struct config_pos *pos,
							      size_t col, char *why,
							      size_t why_size, const char *fmt, ...)
{
	char cause[DAXMR_CONFIG_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	if (pos)
		snprintf(why, why_size, "%s:%u:%zu: %s", pos->file, pos->line, col, cause);
	else
		snprintf(why, why_size, "%s", cause);
	return -EINVAL;
}

/* An empty configuration. */
void daxmr_config_init(struct daxmr_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->daemon.ack_budget_ms = -1;
	cfg->daemon.odp_check_warn = -1;
	cfg->daemon.max_conns_per_addr = -1;
	cfg->daemon.max_handshakes_per_addr = -1;
}

/* Frees one export's strings and allowlist. */
static void config_export_free(struct daxmr_config_export *e)
{
	free(e->name);
	free(e->path);
	free(e->allow);
	free(e->identities);
	free(e->where);
	memset(e, 0, sizeof(*e));
}

/* Frees everything. */
void daxmr_config_free(struct daxmr_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nexports; i++)
		config_export_free(&cfg->exports[i]);
	free(cfg->exports);
	free(cfg->daemon.listen);
	free(cfg->daemon.secret_file);
	free(cfg->daemon.keys_dir);
	free(cfg->daemon.ctl_socket);
	free(cfg->daemon.ctl_group);
	free(cfg->daemon.metrics);
	daxmr_config_init(cfg);
}

/* The export called name, or NULL. */
const struct daxmr_config_export *daxmr_config_find(const struct daxmr_config *cfg,
						    const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nexports; i++)
		if (strcmp(cfg->exports[i].name, name) == 0)
			return &cfg->exports[i];
	return NULL;
}

/* Whether two exports are configured alike. */
bool daxmr_config_export_equal(const struct daxmr_config_export *a,
			       const struct daxmr_config_export *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->path, b->path) == 0 && a->ro == b->ro &&
	       a->allow_non_dax == b->allow_non_dax && a->ack_budget_ms == b->ack_budget_ms &&
	       a->nallow == b->nallow &&
	       (a->nallow == 0 || memcmp(a->allow, b->allow, a->nallow * sizeof(*a->allow)) == 0) &&
	       (a->identities == NULL) == (b->identities == NULL) &&
	       (!a->identities || strcmp(a->identities, b->identities) == 0);
}

/*
 * Appends e to cfg (taking what it owns, also on failure). A name already defined is an error
 * naming both places. 0, -EINVAL, -ENOMEM.
 */
static int config_append(struct daxmr_config *cfg, struct daxmr_config_export *e,
			 const struct config_pos *pos, size_t col, char *why, size_t why_size)
{
	const struct daxmr_config_export *old = daxmr_config_find(cfg, e->name);
	struct daxmr_config_export *grown;
	int ret;

	if (old) {
		ret = config_error(pos, col, why, why_size,
				   "export %s is defined twice (first at %s)", e->name, old->where);
		config_export_free(e);
		return ret;
	}
	if (cfg->nexports == cfg->cap) {
		size_t cap = cfg->cap ? cfg->cap * 2 : 8;

		grown = reallocarray(cfg->exports, cap, sizeof(*grown));
		if (!grown) {
			config_export_free(e);
			snprintf(why, why_size, "out of memory");
			return -ENOMEM;
		}
		cfg->exports = grown;
		cfg->cap = cap;
	}
	cfg->exports[cfg->nexports++] = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

/* Parses a non-negative decimal int (milliseconds, or a count); 0 or -EINVAL. */
static int config_parse_ms(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno || v < 0 || v > INT_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* identity=NAME[+NAME...]: each NAME a valid identity, the list kept as written. */
static int config_identities(struct daxmr_config_export *e, const char *list, char *cause,
			     size_t cause_size)
{
	char name[DAXMR_AUTH_IDENTITY_MAX + 2];
	const char *p = list, *q;
	char *copy;

	if (e->identities) {
		snprintf(cause, cause_size, "identity= given twice: list them as A+B");
		return -EINVAL;
	}
	do {
		q = strchr(p, '+');
		snprintf(name, sizeof(name), "%.*s", (int)(q ? (size_t)(q - p) : strlen(p)), p);
		if (!daxmr_auth_identity_valid(name)) {
			snprintf(
				cause, cause_size,
				"identity=%s: '%s' is not an identity name (1-%d of A-Z a-z 0-9 . _ "
				"@ -, not starting with '.')",
				list, name, DAXMR_AUTH_IDENTITY_MAX);
			return -EINVAL;
		}
		p = q ? q + 1 : NULL;
	} while (p);
	copy = strdup(list);
	if (!copy) {
		snprintf(cause, cause_size, "out of memory");
		return -ENOMEM;
	}
	e->identities = copy;
	return 0;
}

/*
 * One export option (ro, rw, allow=NET, identity=A+B, ack-budget-ms=N, allow-non-dax) into e;
 * *access_ptr remembers whether ro or rw was given already (0 none, 1 ro, 2 rw). 0, or -EINVAL with
 * the cause in cause, -ENOMEM.
 */
static int config_option(struct daxmr_config_export *e, const char *opt, int *access_ptr,
			 char *cause, size_t cause_size)
{
	struct daxmr_cidr *grown;
	char err[96];

	if (strcmp(opt, "ro") == 0 || strcmp(opt, "rw") == 0) {
		int access = opt[1] == 'o' ? 1 : 2;

		if (*access_ptr && *access_ptr != access) {
			snprintf(cause, cause_size, "both ro and rw given");
			return -EINVAL;
		}
		*access_ptr = access;
		e->ro = access == 1;
		return 0;
	}
	if (strcmp(opt, "allow-non-dax") == 0) {
		e->allow_non_dax = true;
		return 0;
	}
	if (strncmp(opt, "ack-budget-ms=", 14) == 0) {
		if (config_parse_ms(opt + 14, &e->ack_budget_ms)) {
			snprintf(cause, cause_size,
				 "%s: expected milliseconds (a decimal number, 0 or more)", opt);
			return -EINVAL;
		}
		return 0;
	}
	if (strncmp(opt, "allow=", 6) == 0) {
		grown = reallocarray(e->allow, e->nallow + 1, sizeof(*grown));
		if (!grown) {
			snprintf(cause, cause_size, "out of memory");
			return -ENOMEM;
		}
		e->allow = grown;
		if (daxmr_cidr_parse(opt + 6, &e->allow[e->nallow], err, sizeof(err))) {
			snprintf(cause, cause_size, "%s: %s", opt, err);
			return -EINVAL;
		}
		e->nallow++;
		return 0;
	}
	if (strncmp(opt, "identity=", 9) == 0)
		return config_identities(e, opt + 9, cause, cause_size);
	if (opt[0] == '\0')
		snprintf(cause, cause_size, "empty option (two commas, or a comma at an end)");
	else
		snprintf(cause, cause_size,
			 "unknown option '%s' (ro, rw, allow=NET, identity=NAME[+NAME...], "
			 "ack-budget-ms=N, allow-non-dax)",
			 opt);
	return -EINVAL;
}

/*
 * The options of a field ("ro,allow=10.0.0.0/8"), split at commas into e. col is the field's
 * column (for an error's column); pos NULL for the command line.
 */
static int config_options(struct daxmr_config_export *e, const char *field, size_t col,
			  int *access_ptr, const struct config_pos *pos, char *why, size_t why_size)
{
	char cause[DAXMR_CONFIG_WHY_MAX], *copy = strdup(field), *opt, *comma;
	int ret = 0;

	if (!copy) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	for (opt = copy;; opt = comma + 1) {
		comma = strchr(opt, ',');
		if (comma)
			*comma = '\0';
		ret = config_option(e, opt, access_ptr, cause, sizeof(cause));
		if (ret) {
			if (ret == -EINVAL)
				config_error(pos, col + (size_t)(opt - copy), why, why_size, "%s",
					     cause);
			else
				snprintf(why, why_size, "%s", cause);
			break;
		}
		if (!comma)
			break;
	}
	free(copy);
	return ret;
}

/* Checks an export's name and path; -EINVAL naming the field. */
static int config_name_path(const char *name, size_t name_col, const char *path, size_t path_col,
			    const struct config_pos *pos, char *why, size_t why_size)
{
	if (!daxmr_proto_name_valid(name))
		return config_error(pos, name_col, why, why_size,
				    "export name '%.64s%s': 1-%d printable ASCII characters, no "
				    "space",
				    name, strlen(name) > 64 ? "..." : "", DAXMR_PROTO_NAME_MAX);
	if (path[0] != '/')
		return config_error(pos, path_col, why, why_size,
				    "export %s: path '%s' is not absolute", name, path);
	if (strlen(path) >= PATH_MAX)
		return config_error(pos, path_col, why, why_size,
				    "export %s: path longer than %d bytes", name, PATH_MAX - 1);
	return 0;
}

/* Copies s into *dst (freeing what was there); 0 or -ENOMEM. */
static int config_set_str(char **dst, const char *s, char *why, size_t why_size)
{
	char *copy = strdup(s);

	if (!copy) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

/* A "set KEY VALUE" line. */
static int config_setting(struct daxmr_config *cfg, const struct config_field *f, size_t n,
			  const struct config_pos *pos, char *why, size_t why_size)
{
	struct daxmr_config_daemon *d = &cfg->daemon;
	const char *key = f[1].text, *val;

	if (n != 3)
		return config_error(pos, n < 3 ? f[n - 1].col : f[3].col, why, why_size,
				    n < 3 ? "set %s: a value is missing" :
					    "set %s: one value expected, more given",
				    key);
	val = f[2].text;
	if (strcmp(key, "listen") == 0)
		return config_set_str(&d->listen, val, why, why_size);
	if (strcmp(key, "secret-file") == 0 || strcmp(key, "ctl-socket") == 0 ||
	    strcmp(key, "keys-dir") == 0) {
		if (val[0] != '/')
			return config_error(pos, f[2].col, why, why_size,
					    "set %s: path '%s' is not absolute", key, val);
		return config_set_str(key[0] == 's' ? &d->secret_file :
				      key[0] == 'k' ? &d->keys_dir :
						      &d->ctl_socket,
				      val, why, why_size);
	}
	if (strcmp(key, "max-conns-per-addr") == 0 || strcmp(key, "max-handshakes-per-addr") == 0) {
		if (config_parse_ms(val, key[4] == 'c' ? &d->max_conns_per_addr :
							 &d->max_handshakes_per_addr))
			return config_error(pos, f[2].col, why, why_size,
					    "set %s %s: expected a count (a decimal number, 0 for "
					    "no limit)",
					    key, val);
		return 0;
	}
	if (strcmp(key, "ctl-group") == 0)
		return config_set_str(&d->ctl_group, val, why, why_size);
	if (strcmp(key, "metrics") == 0)
		return config_set_str(&d->metrics, val, why, why_size);
	if (strcmp(key, "ack-budget-ms") == 0) {
		if (config_parse_ms(val, &d->ack_budget_ms))
			return config_error(pos, f[2].col, why, why_size,
					    "set ack-budget-ms %s: expected milliseconds (a "
					    "decimal number, 0 or more)",
					    val);
		return 0;
	}
	if (strcmp(key, "odp-check") == 0) {
		if (strcmp(val, "enforce") != 0 && strcmp(val, "warn") != 0)
			return config_error(pos, f[2].col, why, why_size,
					    "set odp-check %s: expected enforce or warn", val);
		d->odp_check_warn = strcmp(val, "warn") == 0;
		return 0;
	}
	if (strcmp(key, "allow-non-dax") == 0) {
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return config_error(pos, f[2].col, why, why_size,
					    "set allow-non-dax %s: expected yes or no", val);
		d->allow_non_dax = strcmp(val, "yes") == 0;
		return 0;
	}
	return config_error(pos, f[1].col, why, why_size,
			    "unknown setting '%s' (listen, secret-file, keys-dir, "
			    "max-conns-per-addr, max-handshakes-per-addr, ctl-socket, ctl-group, "
			    "metrics, ack-budget-ms, odp-check, allow-non-dax)",
			    key);
}

/* An export line: NAME PATH [OPTIONS...]. */
static int config_export_line(struct daxmr_config *cfg, const struct config_field *f, size_t n,
			      const struct config_pos *pos, char *why, size_t why_size)
{
	struct daxmr_config_export e = { .ack_budget_ms = -1 };
	char where[PATH_MAX + 16];
	int access = 0, ret;
	size_t i;

	if (n < 2)
		return config_error(pos, f[0].col + strlen(f[0].text), why, why_size,
				    "export %s: a path is missing (NAME PATH [OPTIONS])",
				    f[0].text);
	ret = config_name_path(f[0].text, f[0].col, f[1].text, f[1].col, pos, why, why_size);
	if (ret)
		return ret;
	snprintf(where, sizeof(where), "%s:%u", pos->file, pos->line);
	e.name = strdup(f[0].text);
	e.path = strdup(f[1].text);
	e.where = strdup(where);
	if (!e.name || !e.path || !e.where) {
		config_export_free(&e);
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	for (i = 2; i < n; i++) {
		ret = config_options(&e, f[i].text, f[i].col, &access, pos, why, why_size);
		if (ret) {
			config_export_free(&e);
			return ret;
		}
	}
	return config_append(cfg, &e, pos, f[0].col, why, why_size);
}

/*
 * Splits one line (without its '\n') into fields: blank-separated, "..." quoted with \" and \\,
 * a '#' at a field's start begins a comment. 0 with *n_ptr fields (free their text), or -EINVAL.
 */
static int config_split(const char *line, size_t len, const struct config_pos *pos,
			struct config_field *f, size_t *n_ptr, char *why, size_t why_size)
{
	size_t i = 0, n = 0, start, o;
	char *text;

	*n_ptr = 0;
	while (i < len) {
		if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
			i++;
			continue;
		}
		if (line[i] == '#')
			break;
		if (n == CONFIG_FIELDS_MAX)
			return config_error(pos, i + 1, why, why_size,
					    "more than %d fields on one line", CONFIG_FIELDS_MAX);
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			return config_error(pos, i + 1, why, why_size,
					    "byte 0x%02x: only printable ASCII is allowed",
					    (unsigned char)line[i]);
		start = i;
		text = malloc(len - i + 1);
		if (!text) {
			snprintf(why, why_size, "out of memory");
			return -ENOMEM;
		}
		o = 0;
		if (line[i] == '"') {
			for (i++; i < len && line[i] != '"'; i++) {
				if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
					break;
				if (line[i] == '\\' && i + 1 < len &&
				    (line[i + 1] == '"' || line[i + 1] == '\\'))
					i++;
				text[o++] = line[i];
			}
			if (i < len && line[i] != '"') {
				free(text);
				return config_error(pos, i + 1, why, why_size,
						    "byte 0x%02x: only printable ASCII is allowed",
						    (unsigned char)line[i]);
			}
			if (i == len) {
				free(text);
				return config_error(pos, start + 1, why, why_size,
						    "a quote is not closed");
			}
			i++; /* the closing quote */
			if (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
				free(text);
				return config_error(pos, i + 1, why, why_size,
						    "a blank must follow a closing quote");
			}
		} else {
			while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
				if ((unsigned char)line[i] < 0x20 ||
				    (unsigned char)line[i] > 0x7e) {
					free(text);
					return config_error(
						pos, i + 1, why, why_size,
						"byte 0x%02x: only printable ASCII is allowed",
						(unsigned char)line[i]);
				}
				text[o++] = line[i++];
			}
		}
		text[o] = '\0';
		f[n].text = text;
		f[n].col = start + 1;
		*n_ptr = ++n;
	}
	return 0;
}

/* One line: split, then a setting or an export. */
static int config_line(struct daxmr_config *cfg, const char *line, size_t len,
		       const struct config_pos *pos, char *why, size_t why_size)
{
	struct config_field f[CONFIG_FIELDS_MAX];
	size_t n = 0, i;
	int ret;

	ret = config_split(line, len, pos, f, &n, why, why_size);
	if (ret == 0 && n > 0) {
		if (strcmp(f[0].text, "set") == 0 && n >= 2 && f[1].text[0] != '/')
			ret = config_setting(cfg, f, n, pos, why, why_size);
		else
			ret = config_export_line(cfg, f, n, pos, why, why_size);
	}
	for (i = 0; i < n; i++)
		free(f[i].text);
	return ret;
}

/* Parses a file's text line by line. */
int daxmr_config_parse_text(struct daxmr_config *cfg, const char *file, const char *text, char *why,
			    size_t why_size)
{
	struct config_pos pos = { .file = file, .line = 0 };
	const char *nl;
	int ret;

	while (*text) {
		pos.line++;
		nl = strchr(text, '\n');
		ret = config_line(cfg, text, nl ? (size_t)(nl - text) : strlen(text), &pos, why,
				  why_size);
		if (ret)
			return ret;
		if (!nl)
			break;
		text = nl + 1;
	}
	return 0;
}

/* Reads a whole regular file of at most CONFIG_FILE_MAX bytes, NUL-terminated, into *text_ptr. */
static int config_read(const char *file, char **text_ptr, char *why, size_t why_size)
{
	struct stat st;
	size_t got = 0;
	char *text;
	ssize_t r;
	int fd, ret;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, why_size, "%s: cannot open: %s", file, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(why, why_size, "%s: fstat: %s", file, strerror(-ret));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		snprintf(why, why_size, "%s: %s", file,
			 !S_ISREG(st.st_mode) ? "not a regular file" :
						"bigger than 4 MiB: not an exports file");
		close(fd);
		return -EINVAL;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, text + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			snprintf(why, why_size, "%s: read: %s", file, strerror(-ret));
			free(text);
			close(fd);
			return ret;
		}
		if (r == 0)
			break; /* shrank while read: take what is there */
		got += (size_t)r;
	}
	close(fd);
	if (memchr(text, '\0', got)) {
		free(text);
		snprintf(why, why_size, "%s: holds a NUL byte: not a text file", file);
		return -EINVAL;
	}
	text[got] = '\0';
	*text_ptr = text;
	return 0;
}

/* Reads and parses one file. */
static int config_load_one(struct daxmr_config *cfg, const char *file, char *why, size_t why_size)
{
	char *text = NULL;
	int ret = config_read(file, &text, why, why_size);

	if (ret || !text)
		return ret ? ret : -EIO;
	ret = daxmr_config_parse_text(cfg, file, text, why, why_size);
	free(text);
	return ret;
}

/* Whether a directory entry is one of FILE.d's "*.exports" files. */
static int config_dir_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 8 && strcmp(d->d_name + len - 8, ".exports") == 0;
}

/* FILE, then FILE.d/\*.exports in name order. */
int daxmr_config_load(struct daxmr_config *cfg, const char *file, char *why, size_t why_size)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent **list = NULL;
	int n, i, ret;

	ret = config_load_one(cfg, file, why, why_size);
	if (ret)
		return ret;
	if (snprintf(dir, sizeof(dir), "%s.d", file) >= (int)sizeof(dir)) {
		snprintf(why, why_size, "%s: name too long", file);
		return -ENAMETOOLONG;
	}
	n = scandir(dir, &list, config_dir_filter, alphasort);
	if (n < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			return 0;
		snprintf(why, why_size, "%s: cannot read the directory: %s", dir, strerror(-ret));
		return ret;
	}
	for (i = 0; i < n; i++) {
		if (ret == 0 && snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name) >=
					(int)sizeof(path)) {
			snprintf(why, why_size, "%s/%s: name too long", dir, list[i]->d_name);
			ret = -ENAMETOOLONG;
		}
		if (ret == 0)
			ret = config_load_one(cfg, path, why, why_size);
		free(list[i]);
	}
	free(list);
	return ret;
}

/* --export NAME=PATH[,OPTION...]. */
int daxmr_config_parse_export_arg(struct daxmr_config *cfg, const char *arg, char *why,
				  size_t why_size)
{
	struct daxmr_config_export e = { .ack_budget_ms = -1 };
	char cause[DAXMR_CONFIG_WHY_MAX];
	const char *eq = strchr(arg, '='), *comma;
	int access = 0, ret;

	if (!eq || eq == arg || eq[1] == '\0' || eq[1] == ',') {
		snprintf(why, why_size, "--export %s: expected NAME=PATH[,OPTION...]", arg);
		return -EINVAL;
	}
	comma = strchr(eq + 1, ',');
	e.name = strndup(arg, (size_t)(eq - arg));
	e.path = comma ? strndup(eq + 1, (size_t)(comma - eq - 1)) : strdup(eq + 1);
	e.where = strdup("--export");
	if (!e.name || !e.path || !e.where) {
		ret = -ENOMEM;
		snprintf(cause, sizeof(cause), "out of memory");
		goto err;
	}
	ret = config_name_path(e.name, 0, e.path, 0, NULL, cause, sizeof(cause));
	if (ret == 0 && comma)
		ret = config_options(&e, comma + 1, 0, &access, NULL, cause, sizeof(cause));
	if (ret)
		goto err;
	ret = config_append(cfg, &e, NULL, 0, cause, sizeof(cause));
	if (ret)
		snprintf(why, why_size, "--export %s: %s", arg, cause);
	return ret;

err:
	config_export_free(&e);
	snprintf(why, why_size, "--export %s: %s", arg, cause);
	return ret;
}

/* The exports as daxmr_server_opts wants them. */
int daxmr_config_export_cfgs(const struct daxmr_config *cfg, struct daxmr_export_cfg **out_ptr)
{
	struct daxmr_export_cfg *out = calloc(cfg->nexports ? cfg->nexports : 1, sizeof(*out));
	size_t i;

	if (!out)
		return -ENOMEM;
	for (i = 0; i < cfg->nexports; i++) {
		const struct daxmr_config_export *e = &cfg->exports[i];

		out[i].name = e->name;
		out[i].path = e->path;
		out[i].ro = e->ro;
		out[i].allow_non_dax = e->allow_non_dax || cfg->daemon.allow_non_dax;
		out[i].allow = e->allow;
		out[i].nallow = e->nallow;
		out[i].identities = e->identities;
		out[i].has_ack_budget = e->ack_budget_ms >= 0;
		out[i].ack_budget_ms = e->ack_budget_ms;
	}
	*out_ptr = out;
	return 0;
}
