/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_events.h -- the event encoding of the stateful fuzz targets (read by them and fuzz_seed) */
#ifndef DAXMR_FUZZ_EVENTS_H
#define DAXMR_FUZZ_EVENTS_H

/*
 * An input is a sequence of events. Each is one byte, the event (modulo the count), followed by
 * its argument bytes (missing bytes read as 0). A, B, C, D are argument bytes in order.
 *
 * daxmrd (fuzz_conn, fuzz_revoke): byte 0 of the input is the setup: bit 0 the server has a
 * secret (clients must AUTH), bit 1 the device binds memory windows, bits 2-3 the second
 * export is read-only / behind an allowlist the fake peer is not on, bits 4-5 the revocation's
 * timings (lease-break-time, ack budget: 45 s default, 45 s with a 30 s budget, 1 s default,
 * 45 s with no budget), bits 6-7 the segments (none; 3 on the first export; 1001 on the
 * first, more keys than one reply holds; 3 on the first and 1001 on the second).
 */
enum fuzz_srv_event {
	FUZZ_SRV_CONNECT = 0,  /* A: version range (low nibble min, high max), B: bit 0 raw pdata */
	FUZZ_SRV_ESTABLISHED,  /* A: connection slot */
	FUZZ_SRV_DISCONNECTED, /* A: slot; rdma_cm DISCONNECTED, then the server deletes it */
	FUZZ_SRV_MSG,	       /* A: slot, B: opcode, C, D: fields, E: mutation (bit 7), F, G */
	FUZZ_SRV_RAW,	       /* A: slot, B: length, then that many bytes */
	FUZZ_SRV_SEND_WC,      /* A: slot, B: status (0..3 success, else an error status) */
	FUZZ_SRV_RECV_WC_ERR,  /* A: slot, B: status */
	FUZZ_SRV_QP_FLUSH,     /* A: slot: the QP errors, everything outstanding flushes */
	FUZZ_SRV_TICK,	       /* A: 10 ms steps, B: x 256; timers fire; handshake deadlines */
	FUZZ_SRV_LEASE_BREAK,  /* A: export */
	FUZZ_SRV_ESTABLISH,    /* A: export, B: bit 0 the attempt fails, bit 1 for good (down) */
	FUZZ_SRV_SIGTERM,      /* shutdown: revoke everything (SHUTDOWN), then disconnect all */
	FUZZ_SRV_FAIL,	       /* A: which call (enum fake_rdma_call), B: errno choice */
	FUZZ_SRV_DISCONNECT,   /* A: slot: the server disconnects it */
	FUZZ_SRV_EXPORT_FAIL,  /* A: export, B: what fails once (flush, desc, release, timers) */
	FUZZ_SRV_NEVENTS,
};

/* FUZZ_SRV_MSG B: what the fake client sends (modulo the count) */
enum fuzz_srv_msg {
	FUZZ_MSG_HELLO = 0, /* C: bit 0 wrong range, bit 1 wrong header version */
	FUZZ_MSG_AUTH,	    /* C: bit 0 a wrong proof */
	FUZZ_MSG_LIST,	    /* C: start */
	FUZZ_MSG_OPEN,	    /* C: export (last: no such), D: bit 0 rw */
	FUZZ_MSG_CLOSE,	    /* C: export, D: generation (0 current, 1 older, 2 newer, else D) */
	FUZZ_MSG_FLUSH,	    /* C: export, D: generation as CLOSE; F, G: offset, length in KiB */
	FUZZ_MSG_ACK,	    /* C: export, D: generation as CLOSE; the REVOKE's request id */
	FUZZ_MSG_KEYS,	    /* C: export, D: generation, then first segment / 8 */
	FUZZ_MSG_OTHER,	    /* C: opcode, D: flags */
	FUZZ_MSG_NKINDS,
};

/*
 * libdaxmr (fuzz_client): byte 0 is the setup: bit 0 the server picks the highest version
 * offered (else the lowest), bit 1 the server requires AUTH, bits 2-3 the credits it grants
 * (8, 1, 2, 64), bits 4-5 how connecting goes (0 accepted, 1 rejected BUSY, 2 accepted with
 * truncated private data, 3 address (route, with bit 1) resolution fails), bit 6 the
 * application does not acknowledge REVOKEs, bit 7 it has the secret file. Then the
 * application's events; whenever the library waits, the next bytes are the server's moves.
 */
enum fuzz_cli_event {
	FUZZ_CLI_OPEN = 0, /* A: region slot, B: name (exp0, exp1, nosuch, bad name), bit 2 rw */
	FUZZ_CLI_READ,	   /* A: slot, B << (C % 24): offset, D << (E % 13): length */
	FUZZ_CLI_WRITE,	   /* as READ */
	FUZZ_CLI_FLUSH,	   /* as READ */
	FUZZ_CLI_CLOSE,	   /* A: slot */
	FUZZ_CLI_LIST,
	FUZZ_CLI_PROCESS,   /* one server move, then daxmr_client_process */
	FUZZ_CLI_SERVER,    /* one server move while the application is elsewhere */
	FUZZ_CLI_MEM_REG,   /* A: buffer slot, B: bit 0 a 4 KiB buffer (else 64 KiB) */
	FUZZ_CLI_MEM_DEREG, /* A: buffer slot */
	/*
	 * A: region slot, B: bits 0-1 read, write, cas, faa; bit 2 DAXMR_OP_F_ON_ERROR, bit 3
	 * _F_MORE, bit 4 the buffer slot, bit 5 the synchronous call (atomics; read and write as
	 * READ/WRITE), bits 6-7 a bad call (no buffer, an unknown flag); C: local offset / 8;
	 * D << (E % 21): remote offset; F << (G % 17): length
	 */
	FUZZ_CLI_ASYNC,
	FUZZ_CLI_POLL,	 /* A: at most 1 + A % 16 completions */
	FUZZ_CLI_SUBMIT, /* what _F_MORE queued */
	FUZZ_CLI_NEVENTS,
};

/* fuzz_client: the server's and the device's moves */
enum fuzz_cli_srv_event {
	FUZZ_CLI_SRV_REPLY = 0,	 /* the right reply to the oldest request */
	FUZZ_CLI_SRV_REFUSE,	 /* A: status 1 + A % 13 instead */
	FUZZ_CLI_SRV_MUTATE,	 /* A: bit 6 truncate at B, else flip byte B by C */
	FUZZ_CLI_SRV_WRONG,	 /* A: bit 0 another request id, else another opcode */
	FUZZ_CLI_SRV_REVOKE,	 /* A: descriptor handed out (bit 7: any export id A & 3), B: gen */
	FUZZ_CLI_SRV_AVAILABLE,	 /* as REVOKE; the export's generation goes up */
	FUZZ_CLI_SRV_ERROR,	 /* A: status */
	FUZZ_CLI_SRV_SEND_WC,	 /* A: status (0..3 success) of the oldest send-queue WR */
	FUZZ_CLI_SRV_RECV_ERR,	 /* A: status of the oldest receive */
	FUZZ_CLI_SRV_DISCONNECT, /* rdma_cm DISCONNECTED, the QP in error */
	FUZZ_CLI_SRV_TICK,	 /* A * 50 ms pass */
	FUZZ_CLI_SRV_RAW,	 /* A: length, then that many bytes */
	FUZZ_CLI_SRV_SEND_WC_ANY, /* A: a burst of A % queued successes, then B's status */
	FUZZ_CLI_SRV_NEVENTS,
};

#endif /* DAXMR_FUZZ_EVENTS_H */
