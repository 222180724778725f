/* SPDX-License-Identifier: BSD-3-Clause */
/* credit.c -- libdaxmr: request credits and the receives the protocol makes a client keep posted */
#include "credit.h"

/* Starts the accounting of a connection whose server granted credits. */
void daxmr_credit_init(struct daxmr_credit *c, unsigned int credits)
{
	*c = (struct daxmr_credit){ .credits = credits };
}

/* Receives that must be posted now. */
unsigned int daxmr_credit_recvs_needed(const struct daxmr_credit *c)
{
	return c->outstanding + c->opens + c->held + c->revoked + DAXMR_CREDIT_SLACK;
}

/* Receives that must be posted before sending one more request. */
unsigned int daxmr_credit_recvs_before_send(const struct daxmr_credit *c, bool open)
{
	return daxmr_credit_recvs_needed(c) + 1 + (open ? 1 : 0);
}

/* Whether one more request may be sent now. */
bool daxmr_credit_can_send(const struct daxmr_credit *c)
{
	return c->outstanding < c->credits;
}

/* A request was sent. */
void daxmr_credit_on_send(struct daxmr_credit *c, bool open)
{
	c->outstanding++;
	if (open)
		c->opens++;
}

/* Its reply arrived; an OPEN that returned a descriptor turns its extra receive into held. */
void daxmr_credit_on_reply(struct daxmr_credit *c, bool open, bool opened)
{
	if (c->outstanding)
		c->outstanding--;
	if (open && c->opens)
		c->opens--;
	if (open && opened)
		c->held++;
}

/* A held descriptor was revoked: its receive is reposted for the AVAILABLE to come. */
void daxmr_credit_on_revoke(struct daxmr_credit *c)
{
	if (c->held)
		c->held--;
	c->revoked++;
}

/* A revoked descriptor's AVAILABLE arrived. */
void daxmr_credit_on_available(struct daxmr_credit *c)
{
	if (c->revoked)
		c->revoked--;
}

/* A descriptor was closed. */
void daxmr_credit_on_close(struct daxmr_credit *c, bool revoked)
{
	if (revoked) {
		if (c->revoked)
			c->revoked--;
	} else if (c->held) {
		c->held--;
	}
}
