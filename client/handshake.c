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

/* AUTH as the HELLO reply asks; the server's proof checked. */
int daxmr_handshake_auth(struct daxmr_client *client, const struct daxmr_auth_key *key,
			 const struct daxmr_proto_hello_reply *hello)
{
	const char *peer = daxmr_client_peer(client);
	bool asked = hello->flags & DAXMR_PROTO_HELLO_F_AUTH;
	struct daxmr_client_call *call;
	int ret;

	ret = handshake_auth_wanted(peer, asked, key != NULL);
	if (ret || !asked)
		return ret;
	call = daxmr_client_call_new(DAXMR_PROTO_OP_AUTH);
	if (!call)
		return -ENOMEM;
	daxmr_auth_random(call->req.auth.nonce, sizeof(call->req.auth.nonce));
	daxmr_auth_proof(key, DAXMR_AUTH_CLIENT, hello->challenge, call->req.auth.nonce,
			 call->req.auth.proof);
	ret = daxmr_client_call(client, call, NULL);
	if (ret && daxmr_client_call_refused(call)) {
		DAXMR_LOG_ERR("AUTH to %s: server says %s%s", peer,
			      daxmr_proto_status_str(call->reply.hdr.status),
			      call->reply.hdr.status == DAXMR_PROTO_STATUS_ACCESS_DENIED ?
				      ": our secret is not the server's" :
				      "");
	} else if (!ret && !daxmr_auth_verify(key, DAXMR_AUTH_SERVER, hello->challenge,
					      call->req.auth.nonce, call->reply.auth_reply.proof)) {
		DAXMR_LOG_ERR("AUTH to %s: the server's proof does not match our secret: it is "
			      "not the server we share it with",
			      peer);
		ret = -EACCES;
	} else if (!ret) {
		DAXMR_LOG_INF("authenticated to %s, and it to us", peer);
	}
	free(call);
	return ret;
}
