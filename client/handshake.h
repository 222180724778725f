/* SPDX-License-Identifier: BSD-3-Clause */
/* handshake.h -- libdaxmr: HELLO and AUTH, the requests that open a connection */
#ifndef DAXMR_CLIENT_HANDSHAKE_H
#define DAXMR_CLIENT_HANDSHAKE_H

#include <stdint.h>

#include "auth.h"
#include "daxmr.h"
#include "proto.h"

/*
 * HELLO with our version range and name (borrowed, already a valid wire name). On 0 *hello is
 * the reply, its version checked against the connection's (version); else -errno: a refusal's
 * status mapped (logged), -EPROTO for a reply naming another version, or the transport's.
 */
int daxmr_handshake_hello(struct daxmr_client *client, const char *name, uint16_t version,
			  struct daxmr_proto_hello_reply *hello);

/*
 * AUTH as the HELLO reply asks (docs/protocol.md, section 7), with key (NULL: no secret was
 * given): our nonce and proof over the server's challenge, and the server's proof checked in
 * return. 0 when authenticated, or when neither side wants it. -EACCES when the server asks and
 * we have no secret, when we have one and the server does not ask (a server that does not know
 * the secret would not), when the server refuses our proof or its own proof fails; another
 * refusal's status mapped; the transport's -errno. From version 4 the AUTH names identity ("":
 * the anonymous identity) and both proofs bind it and the version; -EACCES too when identity is
 * not "" and version is below 4 (that server has no identities).
 */
int daxmr_handshake_auth(struct daxmr_client *client, const struct daxmr_auth_key *key,
			 uint16_t version, const char *identity,
			 const struct daxmr_proto_hello_reply *hello);

#endif /* DAXMR_CLIENT_HANDSHAKE_H */
