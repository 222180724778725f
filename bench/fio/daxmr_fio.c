/* SPDX-License-Identifier: BSD-3-Clause */
/* daxmr_fio.c -- fio external I/O engine: fio's reads and writes as libdaxmr zero-copy RDMA */

/*
 * One job thread = one daxmr client, one open region (the export), and fio's whole I/O buffer
 * area registered once with daxmr_mem_reg, so every io_u's buffer is RDMA'd in place (no copy).
 * queue() posts with DAXMR_OP_F_MORE, commit() rings the doorbell once for the batch,
 * getevents() collects completions with daxmr_client_poll (sleeping in daxmr_client_wait when
 * nothing is ready and fio asked for at least one). A sync (fsync=, end_fsync=) is a FLUSH of the
 * whole region.
 *
 * fio's structures (thread_data, io_u, ...) are compiled from Debian's fio source of the same
 * version as the installed fio; the build refuses another version (bench/CMakeLists.txt), and so
 * does get_ioengine() here at load time, comparing the running fio's version string with ours.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fio.h"
#include "optgroup.h"

#include "daxmr.h"

#ifndef DAXMR_FIO_BUILT_FOR
#error "DAXMR_FIO_BUILT_FOR (the fio version of the headers, e.g. \"fio-3.33\") must be defined"
#endif

/* fio's own version string (init.c), exported by the fio binary */
extern const char fio_version_string[];

/* The engine's job options (ioengine-specific: server=, export=, secret_file=, ...). */
struct daxmr_fio_options {
	void *pad;	   /* fio treats an option at offset 0 as unset */
	char *server;	   /* owned by fio: "host[:port]" of daxmrd */
	char *export_name; /* owned by fio: the export; NULL: the job's file name */
	char *secret_file; /* owned by fio: the shared secret's file, or NULL */
	unsigned int verbose;
};

/* One job thread's engine state (td->io_ops_data). */
struct daxmr_fio_data {
	struct daxmr_client *client;	/* owned */
	struct daxmr_region *region;	/* owned */
	struct daxmr_mem *mem;		/* owned: registers td->orig_buffer */
	struct daxmr_completion *comps; /* owned: iodepth entries */
	struct io_u **events;		/* owned: iodepth entries, what event() hands out */
	unsigned int depth;
	unsigned int queued; /* posted with DAXMR_OP_F_MORE since the last commit */
};

/* One string option of the engine, stored in struct daxmr_fio_options' field. */
#define DAXMR_FIO_STR_OPT(opt, long_name, field, text)                             \
	{                                                                          \
		.name = (opt), .lname = (long_name), .type = FIO_OPT_STR_STORE,    \
		.off1 = offsetof(struct daxmr_fio_options, field), .help = (text), \
		.category = FIO_OPT_C_ENGINE, .group = FIO_OPT_G_INVALID,          \
	}

static struct fio_option daxmr_fio_opts[] = {
	DAXMR_FIO_STR_OPT("server", "daxmrd address", server,
			  "daxmrd to connect to: host, host:port or [v6addr]:port (port 7471 by "
			  "default)"),
	DAXMR_FIO_STR_OPT("export", "daxmr export", export_name,
			  "export to open (default: the job's filename=)"),
	DAXMR_FIO_STR_OPT(
		"secret_file", "daxmr secret file", secret_file,
		"file with the secret shared with daxmrd (mode 0600), if it requires one"),
	{
		.name = "daxmr_verbose",
		.lname = "libdaxmr log level",
		.type = FIO_OPT_INT,
		.off1 = offsetof(struct daxmr_fio_options, verbose),
		.help = "libdaxmr log level on stderr: 0 errors, 1 + info, 2 + debug",
		.def = "0",
		.minval = 0,
		.maxval = 2,
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_INVALID,
	},
	{
		.name = NULL,
	},
};

/* The export this job opens: export= or else its one file's name. */
static const char *daxmr_fio_export_name(struct thread_data *td)
{
	const struct daxmr_fio_options *o = td->eo;

	if (o->export_name && o->export_name[0])
		return o->export_name;
	if (td->files_index >= 1 && td->files[0]->file_name)
		return td->files[0]->file_name;
	return NULL;
}

/* Gives a diskless job its one file (named after export= or "daxmr") when it named none. */
static int daxmr_fio_setup(struct thread_data *td)
{
	const struct daxmr_fio_options *o = td->eo;

	if (!o->server || !o->server[0]) {
		log_err("daxmr: job %s: server= is required (the daxmrd address)\n", td->o.name);
		return 1;
	}
	if (!td->files_index)
		add_file(td, o->export_name && o->export_name[0] ? o->export_name : "daxmr", 0, 0);
	if (td->files_index != 1) {
		log_err("daxmr: job %s: one file (export) per job, not %u\n", td->o.name,
			td->files_index);
		return 1;
	}
	return 0;
}

/* Frees what init() made; the region and the registered memory go with the client. */
static void daxmr_fio_cleanup(struct thread_data *td)
{
	struct daxmr_fio_data *ed = td->io_ops_data;

	if (!ed)
		return;
	(void)daxmr_mem_dereg(&ed->mem);
	(void)daxmr_region_close(&ed->region);
	(void)daxmr_client_disconnect(&ed->client);
	free(ed->comps);
	free(ed->events);
	free(ed);
	td->io_ops_data = NULL;
}

/* Work requests one io_u may need: max_wr_bytes pieces, plus one per segment boundary. */
static unsigned int daxmr_fio_wrs_per_io(const struct thread_data *td)
{
	unsigned long long bs = td->o.max_bs[DDIR_READ] > td->o.max_bs[DDIR_WRITE] ?
					td->o.max_bs[DDIR_READ] :
					td->o.max_bs[DDIR_WRITE];

	return (unsigned int)((bs + DAXMR_DEFAULT_MAX_WR_BYTES - 1) / DAXMR_DEFAULT_MAX_WR_BYTES) +
	       1;
}

/* Connects to server= and opens the export (read-write when the job writes). */
static int daxmr_fio_init(struct thread_data *td)
{
	const struct daxmr_fio_options *o = td->eo;
	struct daxmr_client_opts copts = DAXMR_CLIENT_OPTS_DEFAULT;
	const char *name = daxmr_fio_export_name(td);
	enum daxmr_access access = td_write(td) ? DAXMR_RW : DAXMR_RO;
	struct daxmr_fio_data *ed;
	unsigned long long qd;
	int ret;

	if (!name) {
		log_err("daxmr: job %s: no export (export= or filename=)\n", td->o.name);
		return 1;
	}
	ed = calloc(1, sizeof(*ed));
	if (!ed)
		return 1;
	td->io_ops_data = ed;
	ed->depth = td->o.iodepth ? td->o.iodepth : 1;
	ed->comps = calloc(ed->depth, sizeof(*ed->comps));
	/* an array of io_u pointers: the pointer's size is meant */
	ed->events =
		calloc(ed->depth, sizeof(ed->events[0])); /* NOLINT(bugprone-sizeof-expression) */
	if (!ed->comps || !ed->events)
		goto err;

	qd = (unsigned long long)ed->depth * daxmr_fio_wrs_per_io(td);
	copts.queue_depth = qd > 4096 ? 4096 : (unsigned int)qd;
	copts.secret_file = o->secret_file && o->secret_file[0] ? o->secret_file : NULL;
	copts.verbose = (int)o->verbose;
	copts.name = td->o.name;
	ret = daxmr_client_connect(o->server, &copts, &ed->client);
	if (ret) {
		log_err("daxmr: job %s: connect to %s: %s\n", td->o.name, o->server,
			strerror(-ret));
		goto err;
	}
	ret = daxmr_region_open(ed->client, name, access, &ed->region);
	if (ret) {
		const char *why = daxmr_client_last_reason(ed->client);

		log_err("daxmr: job %s: open export %s (%s) on %s: %s%s%s\n", td->o.name, name,
			daxmr_access_str(access), o->server, strerror(-ret), why[0] ? ": " : "",
			why);
		goto err;
	}
	return 0;
err:
	daxmr_fio_cleanup(td);
	return 1;
}

/* Registers fio's I/O buffer area (allocated after init) for zero-copy RDMA. */
static int daxmr_fio_post_init(struct thread_data *td)
{
	struct daxmr_fio_data *ed = td->io_ops_data;
	int ret;

	ret = daxmr_mem_reg(ed->client, td->orig_buffer, td->orig_buffer_size, &ed->mem);
	if (ret) {
		log_err("daxmr: job %s: register %zu bytes of I/O buffers: %s%s\n", td->o.name,
			td->orig_buffer_size, strerror(-ret),
			ret == -ENOMEM ? " (RLIMIT_MEMLOCK: ulimit -l)" : "");
		td_verror(td, -ret, "daxmr_mem_reg");
		return 1;
	}
	return 0;
}

/* The file's size is the export's length. */
static int daxmr_fio_get_file_size(struct thread_data *td, struct fio_file *f)
{
	struct daxmr_fio_data *ed = td->io_ops_data;

	if (fio_file_size_known(f))
		return 0;
	if (!ed || !ed->region) {
		log_err("daxmr: job %s: %s: size asked before the export was opened\n", td->o.name,
			f->file_name);
		return 1;
	}
	f->real_file_size = daxmr_region_desc(ed->region)->length;
	fio_file_set_size_known(f);
	return 0;
}

/* Opening and closing the file: nothing to do, the region opened in init stands for it. */
static int daxmr_fio_file_nop(struct thread_data *td, struct fio_file *f)
{
	(void)td;
	(void)f;
	return 0;
}

/* Posts one read or write in place from fio's buffer; a sync is a FLUSH of the region. */
static enum fio_q_status daxmr_fio_queue(struct thread_data *td, struct io_u *io_u)
{
	struct daxmr_fio_data *ed = td->io_ops_data;
	size_t local_off = (size_t)((char *)io_u->xfer_buf - td->orig_buffer);
	int ret;

	fio_ro_check(td, io_u);
	switch (io_u->ddir) {
	case DDIR_READ:
		ret = daxmr_region_read_async(ed->region, ed->mem, local_off, io_u->offset,
					      io_u->xfer_buflen, io_u, DAXMR_OP_F_MORE);
		break;
	case DDIR_WRITE:
		ret = daxmr_region_write_async(ed->region, ed->mem, local_off, io_u->offset,
					       io_u->xfer_buflen, io_u, DAXMR_OP_F_MORE);
		break;
	case DDIR_SYNC:
	case DDIR_DATASYNC:
	case DDIR_SYNC_FILE_RANGE:
		/* the QP is ordered: the server handles FLUSH after every write posted before */
		ret = daxmr_client_submit(ed->client);
		if (!ret)
			ret = daxmr_region_flush(ed->region, 0,
						 daxmr_region_desc(ed->region)->length);
		io_u->error = ret ? -ret : 0;
		if (ret)
			td_verror(td, io_u->error, "daxmr_region_flush");
		return FIO_Q_COMPLETED;
	default:
		io_u->error = EINVAL;
		td_verror(td, EINVAL, "daxmr: unsupported I/O direction");
		return FIO_Q_COMPLETED;
	}
	if (ret == -EAGAIN)
		return FIO_Q_BUSY; /* the send queue is full: fio reaps, then queues again */
	if (ret) {
		io_u->error = -ret;
		td_verror(td, io_u->error,
			  io_u->ddir == DDIR_READ ? "daxmr_region_read_async" :
						    "daxmr_region_write_async");
		return FIO_Q_COMPLETED;
	}
	ed->queued++;
	return FIO_Q_QUEUED;
}

/* Rings the doorbell once for everything queue() posted since the last commit. */
static int daxmr_fio_commit(struct thread_data *td)
{
	struct daxmr_fio_data *ed = td->io_ops_data;
	int ret;

	if (!ed->queued)
		return 0;
	ret = daxmr_client_submit(ed->client);
	if (ret)
		return ret;
	io_u_mark_submit(td, ed->queued);
	ed->queued = 0;
	return 0;
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC), at least 0. */
static int daxmr_fio_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)(ms > INT32_MAX ? INT32_MAX : ms);
}

/* Collects between min and max completions; sleeps on the client's fd while fewer than min. */
static int daxmr_fio_getevents(struct thread_data *td, unsigned int min, unsigned int max,
			       const struct timespec *t)
{
	struct daxmr_fio_data *ed = td->io_ops_data;
	struct timespec deadline = { 0 };
	unsigned int n = 0;
	int ret;

	if (max > ed->depth)
		max = ed->depth;
	if (t) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += t->tv_sec;
		deadline.tv_nsec += t->tv_nsec;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	while (n < max) {
		ret = daxmr_client_poll(ed->client, ed->comps, (int)(max - n));
		if (ret < 0) {
			log_err("daxmr: job %s: poll: %s\n", td->o.name, strerror(-ret));
			return ret;
		}
		for (int i = 0; i < ret; i++) {
			struct io_u *io_u = ed->comps[i].op_ctx;

			io_u->error = -ed->comps[i].status;
			io_u->resid = ed->comps[i].status ? io_u->xfer_buflen : 0;
			ed->events[n++] = io_u;
		}
		if (ret > 0 || n >= min)
			continue;
		/* fewer than min: sleep until the completion channel (or a notification) fires */
		ret = daxmr_client_wait(ed->client, t ? daxmr_fio_ms_left(&deadline) : -1);
		if (ret == -ETIMEDOUT)
			break;
		if (ret && ret != -EINTR && ret != -ENOTCONN) {
			log_err("daxmr: job %s: wait: %s\n", td->o.name, strerror(-ret));
			return ret;
		}
		/* revocations and the connection's end; the next poll reports their effect */
		(void)daxmr_client_process(ed->client);
		if (n >= min)
			break;
	}
	return (int)n;
}

/* The event-th io_u of the last getevents(). */
static struct io_u *daxmr_fio_event(struct thread_data *td, int event)
{
	struct daxmr_fio_data *ed = td->io_ops_data;

	return ed->events[event];
}

static struct ioengine_ops daxmr_fio_ops = {
	.name = "daxmr",
	.version = FIO_IOOPS_VERSION,
	.flags = FIO_DISKLESSIO | FIO_NOEXTEND | FIO_NODISKUTIL,
	.setup = daxmr_fio_setup,
	.init = daxmr_fio_init,
	.post_init = daxmr_fio_post_init,
	.queue = daxmr_fio_queue,
	.commit = daxmr_fio_commit,
	.getevents = daxmr_fio_getevents,
	.event = daxmr_fio_event,
	.cleanup = daxmr_fio_cleanup,
	.open_file = daxmr_fio_file_nop,
	.close_file = daxmr_fio_file_nop,
	.get_file_size = daxmr_fio_get_file_size,
	.options = daxmr_fio_opts,
	.option_struct_size = sizeof(struct daxmr_fio_options),
};

void get_ioengine(struct ioengine_ops **ops_ptr);

/*
 * fio's entry point (no "ioengine" symbol, so that fio asks here): hands out the engine only to
 * the fio version whose structures it was compiled against; any other gets a clear refusal
 * instead of a crash on a different thread_data layout.
 */
__attribute__((visibility("default"))) void get_ioengine(struct ioengine_ops **ops_ptr)
{
	if (strcmp(fio_version_string, DAXMR_FIO_BUILT_FOR) != 0) {
		log_err("daxmr: this engine was built against %s's headers but runs in %s: rebuild "
			"it against the installed fio (bench/fio/fetch-fio-source.sh)\n",
			DAXMR_FIO_BUILT_FOR, fio_version_string);
		*ops_ptr = NULL;
		return;
	}
	*ops_ptr = &daxmr_fio_ops;
}
