/* SPDX-License-Identifier: BSD-3-Clause */
/* credit.h -- libdaxmr: request credits and the receives the protocol makes a client keep posted */
#ifndef DAXMR_CLIENT_CREDIT_H
#define DAXMR_CLIENT_CREDIT_H

#include <stdbool.h>

/*
 * docs/protocol.md section 1, flow control: a client keeps posted one receive per outstanding
 * request, plus one per descriptor it holds (two before sending OPEN), plus one per revoked
 * descriptor until that export's AVAILABLE arrives or the client CLOSEs it.
 */
struct daxmr_credit {
	unsigned int credits;	  /* requests the server allows outstanding (accept data) */
	unsigned int outstanding; /* requests sent whose reply has not arrived */
	unsigned int opens;	  /* of which OPENs: each needs a receive for its descriptor too */
	unsigned int held;	  /* descriptors held, not revoked */
	unsigned int revoked;	  /* revoked descriptors still owed an AVAILABLE */
};

/* One more receive than the protocol needs, so a server's ERROR can land before it disconnects. */
#define DAXMR_CREDIT_SLACK 1

/* Starts the accounting of a connection whose server granted credits (>= 1). */
void daxmr_credit_init(struct daxmr_credit *c, unsigned int credits);

/* Receives that must be posted now (including DAXMR_CREDIT_SLACK). */
unsigned int daxmr_credit_recvs_needed(const struct daxmr_credit *c);

/* Receives that must be posted before sending a request (an OPEN if open): the same plus it. */
unsigned int daxmr_credit_recvs_before_send(const struct daxmr_credit *c, bool open);

/* Whether one more request may be sent now (outstanding < credits). */
bool daxmr_credit_can_send(const struct daxmr_credit *c);

/* A request was sent. */
void daxmr_credit_on_send(struct daxmr_credit *c, bool open);

/* Its reply arrived; opened: an OPEN that returned a descriptor. */
void daxmr_credit_on_reply(struct daxmr_credit *c, bool open, bool opened);

/* A held descriptor was revoked: it now waits for AVAILABLE. */
void daxmr_credit_on_revoke(struct daxmr_credit *c);

/* A revoked descriptor's AVAILABLE arrived: its receive is no longer owed. */
void daxmr_credit_on_available(struct daxmr_credit *c);

/* A descriptor was closed: held (revoked false) or revoked and still owed an AVAILABLE. */
void daxmr_credit_on_close(struct daxmr_credit *c, bool revoked);

#endif /* DAXMR_CLIENT_CREDIT_H */
