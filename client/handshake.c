/* SPDX-License-Identifier: BSD-3-Clause */
/* handshake.c -- libdaxmr: HELLO and AUTH, the requests that open a connection */
#include "handshake.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"

/* HELLO; the reply's version must be the connection's. */
int daxmr_handshake_hello(struct daxmr_client *client, const char *name, uint16_t version,
			  struct daxmr_proto_hello_reply *hello)
{
	struct daxmr_client_call *call;
	int ret;

	call = daxmr_client_call_new(DAXMR_PROTO_OP_HELLO);
	if (!call)
		return -ENOMEM;
	call->req.hello.version_min = DAXMR_PROTO_VERSION_MIN;
	call->req.hello.version_max = DAXMR_PROTO_VERSION_CLIENT_MAX;
	snprintf(call->req.hello.name, sizeof(call->req.hello.name), "%s", name);
	ret = daxmr_client_call(client, call, NULL);
	if (ret && daxmr_client_call_refused(call)) {
		DAXMR_LOG_ERR("HELLO to %s: server says %s", daxmr_client_peer(client),
			      daxmr_proto_status_str(call->reply.hdr.status));
	} else if (!ret && call->reply.hello_reply.version != version) {
		DAXMR_LOG_ERR("HELLO to %s: reply names version %u, connection has %u",
			      daxmr_client_peer(client), call->reply.hello_reply.version, version);
		ret = -EPROTO;
	}
	if (!ret)
		*hello = call->reply.hello_reply;
	free(call);
	return ret;
}

/* Whether AUTH goes ahead: the server asks and we have a secret. 0, or -EACCES (logged). */
static int handshake_auth_wanted(const char *peer, bool asked, bool have_secret)
{
	if (!asked && have_secret) {
		DAXMR_LOG_ERR("connecting to %s: a secret file was given but the server did not "
			      "ask us to authenticate: it cannot prove it shares the secret, so it "
			      "is not trusted",
			      peer);
		return -EACCES;
	}
	if (asked && !have_secret) {
		DAXMR_LOG_ERR("connecting to %s: the server requires authentication: give the "
			      "secret file it shares (daxmr --secret-file FILE, or "
			      "opts.secret_file)",
			      peer);
		return -EACCES;
	}
	return 0;
}

/* The server's proof, as the version computes it. */
static bool handshake_server_proof_ok(const struct daxmr_auth_key *key, uint16_t version,
				      const char *identity, const uint8_t *challenge,
				      const struct daxmr_client_call *call)
{
	if (version >= DAXMR_PROTO_VERSION_ID)
		return daxmr_auth_verify_id(key, DAXMR_AUTH_SERVER, version, identity, challenge,
					    call->req.auth.nonce, call->reply.auth_reply.proof);
	return daxmr_auth_verify(key, DAXMR_AUTH_SERVER, challenge, call->req.auth.nonce,
				 call->reply.auth_reply.proof);
}

/* AUTH as the HELLO reply asks; the server's proof checked. */
int daxmr_handshake_auth(struct daxmr_client *client, const struct daxmr_auth_key *key,
			 uint16_t version, const char *identity,
			 const struct daxmr_proto_hello_reply *hello)
{
	const char *peer = daxmr_client_peer(client);
	bool asked = hello->flags & DAXMR_PROTO_HELLO_F_AUTH;
	struct daxmr_client_call *call;
	int ret;

	ret = handshake_auth_wanted(peer, asked, key != NULL);
	if (ret || !asked)
		return ret;
	if (identity[0] && version < DAXMR_PROTO_VERSION_ID) {
		DAXMR_LOG_ERR("connecting to %s: identity %s was given, but the server chose "
			      "protocol version %u: identities need version %u (a server with a "
			      "keys directory)",
			      peer, identity, version, DAXMR_PROTO_VERSION_ID);
		return -EACCES;
	}
	call = daxmr_client_call_new(DAXMR_PROTO_OP_AUTH);
	if (!call)
		return -ENOMEM;
	daxmr_auth_random(call->req.auth.nonce, sizeof(call->req.auth.nonce));
	if (version >= DAXMR_PROTO_VERSION_ID) {
		snprintf(call->req.auth.identity, sizeof(call->req.auth.identity), "%s", identity);
		daxmr_auth_proof_id(key, DAXMR_AUTH_CLIENT, version, identity, hello->challenge,
				    call->req.auth.nonce, call->req.auth.proof);
	} else {
		daxmr_auth_proof(key, DAXMR_AUTH_CLIENT, hello->challenge, call->req.auth.nonce,
				 call->req.auth.proof);
	}
	ret = daxmr_client_call(client, call, NULL);
	if (ret && daxmr_client_call_refused(call) && identity[0] &&
	    call->reply.hdr.status == DAXMR_PROTO_STATUS_ACCESS_DENIED) {
		DAXMR_LOG_ERR("AUTH to %s: server says ACCESS_DENIED: it has no identity %s, or "
			      "our secret file is not that identity's key",
			      peer, identity);
	} else if (ret && daxmr_client_call_refused(call)) {
		DAXMR_LOG_ERR("AUTH to %s: server says %s%s", peer,
			      daxmr_proto_status_str(call->reply.hdr.status),
			      call->reply.hdr.status == DAXMR_PROTO_STATUS_ACCESS_DENIED ?
				      ": our secret is not the server's" :
				      "");
	} else if (!ret &&
		   !handshake_server_proof_ok(key, version, identity, hello->challenge, call)) {
		DAXMR_LOG_ERR("AUTH to %s: the server's proof does not match our secret: it is "
			      "not the server we share it with",
			      peer);
		ret = -EACCES;
	} else if (!ret) {
		DAXMR_LOG_INF("authenticated to %s as identity %s, and it to us", peer,
			      identity[0] ? identity : "anonymous");
	}
	free(call);
	return ret;
}
