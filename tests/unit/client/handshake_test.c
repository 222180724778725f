/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handshake_test.c -- handshake: HELLO's checks and AUTH's policy and proofs against a fake
 * connection (the real daxmr_auth makes and checks the proofs)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "client.h"
#include "handshake.h"

static struct daxmr_client *const fake_client = (struct daxmr_client *)(uintptr_t)0x1000;

/* The fake server: what it answers, and what it was sent. */
static struct {
	enum daxmr_proto_status status; /* of every reply */
	uint16_t hello_version;
	bool bad_proof;			  /* the AUTH reply's proof has a bit flipped */
	int call_err;			  /* the transport fails with this */
	struct daxmr_auth_key server_key; /* the server's proof is made with it */
	uint16_t auth_version;		  /* >= 4: the server's proof is version 4's ... */
	const char *server_identity;	  /* ... for this identity */
	struct daxmr_proto_msg sent[4];
	unsigned int nsent;
} fake;

static const uint8_t challenge[DAXMR_PROTO_AUTH_CHALLENGE_SIZE] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static struct daxmr_auth_key client_key;

struct daxmr_client_call *daxmr_client_call_new(enum daxmr_proto_opcode opcode)
{
	struct daxmr_client_call *call = calloc(1, sizeof(*call));

	assert_non_null(call);
	call->req.hdr.opcode = opcode;
	return call;
}

int daxmr_client_call(struct daxmr_client *client, struct daxmr_client_call *call,
		      struct daxmr_region *opening)
{
	struct daxmr_proto_msg *r = &call->reply;

	assert_ptr_equal(client, fake_client);
	assert_null(opening);
	assert_true(fake.nsent < 4);
	fake.sent[fake.nsent++] = call->req;
	if (fake.call_err)
		return fake.call_err;
	r->hdr.opcode = call->req.hdr.opcode;
	r->hdr.status = fake.status;
	if (call->req.hdr.opcode == DAXMR_PROTO_OP_HELLO) {
		r->hello_reply.version = fake.hello_version;
		snprintf(r->hello_reply.name, sizeof(r->hello_reply.name), "daxmrd@test");
	} else {
		if (fake.auth_version >= DAXMR_PROTO_VERSION_ID)
			daxmr_auth_proof_id(&fake.server_key, DAXMR_AUTH_SERVER, fake.auth_version,
					    fake.server_identity, challenge, call->req.auth.nonce,
					    r->auth_reply.proof);
		else
			daxmr_auth_proof(&fake.server_key, DAXMR_AUTH_SERVER, challenge,
					 call->req.auth.nonce, r->auth_reply.proof);
		if (fake.bad_proof)
			r->auth_reply.proof[3] ^= 1;
	}
	if (fake.status == DAXMR_PROTO_STATUS_OK)
		return 0;
	return fake.status == DAXMR_PROTO_STATUS_ACCESS_DENIED ? -EACCES : -EIO;
}

bool daxmr_client_call_refused(const struct daxmr_client_call *call)
{
	return call->reply.hdr.status != DAXMR_PROTO_STATUS_OK;
}

const char *daxmr_client_peer(const struct daxmr_client *client)
{
	(void)client;
	return "192.0.2.1:7471";
}

/* A HELLO reply asking (or not) for AUTH over challenge. */
static struct daxmr_proto_hello_reply hello_reply(bool auth)
{
	struct daxmr_proto_hello_reply h = { .version = 2 };

	h.flags = auth ? DAXMR_PROTO_HELLO_F_AUTH : 0;
	memcpy(h.challenge, challenge, sizeof(challenge));
	return h;
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	fake.hello_version = 2;
	assert_int_equal(daxmr_auth_key_from_bytes("the secret both sides share", 27, &client_key),
			 0);
	fake.server_key = client_key;
	return 0;
}

/* HELLO: our range and name go out; the reply comes back; its version must be ours. */
static void hello__ok_and_version_EPROTO(void **state)
{
	struct daxmr_proto_hello_reply h;

	(void)state;
	assert_int_equal(daxmr_handshake_hello(fake_client, "unit-test", 2, &h), 0);
	assert_string_equal(h.name, "daxmrd@test");
	assert_int_equal(fake.sent[0].hdr.opcode, DAXMR_PROTO_OP_HELLO);
	assert_string_equal(fake.sent[0].hello.name, "unit-test");
	assert_int_equal(fake.sent[0].hello.version_min, DAXMR_PROTO_VERSION_MIN);
	assert_int_equal(fake.sent[0].hello.version_max, DAXMR_PROTO_VERSION_CLIENT_MAX);
	assert_int_equal(daxmr_handshake_hello(fake_client, "unit-test", 1, &h), -EPROTO);
}

/* HELLO refused or lost: the status's errno, or the transport's. */
static void hello__refused_and_lost(void **state)
{
	struct daxmr_proto_hello_reply h;

	(void)state;
	fake.status = DAXMR_PROTO_STATUS_INTERNAL;
	assert_int_equal(daxmr_handshake_hello(fake_client, "unit-test", 2, &h), -EIO);
	fake.status = DAXMR_PROTO_STATUS_OK;
	fake.call_err = -ETIMEDOUT;
	assert_int_equal(daxmr_handshake_hello(fake_client, "unit-test", 2, &h), -ETIMEDOUT);
}

/* Neither side wants AUTH: nothing is sent. One side only: -EACCES, nothing sent. */
static void auth__policy(void **state)
{
	struct daxmr_proto_hello_reply no = hello_reply(false), yes = hello_reply(true);

	(void)state;
	assert_int_equal(daxmr_handshake_auth(fake_client, NULL, 2, "", &no), 0);
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 2, "", &no), -EACCES);
	assert_int_equal(daxmr_handshake_auth(fake_client, NULL, 2, "", &yes), -EACCES);
	assert_int_equal(fake.nsent, 0);
}

/* AUTH: our proof over the challenge goes out; the server's proof must verify. */
static void auth__proofs(void **state)
{
	struct daxmr_proto_hello_reply yes = hello_reply(true);
	const struct daxmr_proto_auth *a = &fake.sent[0].auth;

	(void)state;
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 2, "", &yes), 0);
	assert_int_equal(fake.sent[0].hdr.opcode, DAXMR_PROTO_OP_AUTH);
	assert_true(
		daxmr_auth_verify(&client_key, DAXMR_AUTH_CLIENT, challenge, a->nonce, a->proof));
	fake.bad_proof = true;
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 2, "", &yes), -EACCES);
	fake.bad_proof = false;
	assert_int_equal(
		daxmr_auth_key_from_bytes("a server with another secret", 28, &fake.server_key), 0);
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 2, "", &yes), -EACCES);
}

/* AUTH refused (ACCESS_DENIED, another status) or lost. */
static void auth__refused_and_lost(void **state)
{
	struct daxmr_proto_hello_reply yes = hello_reply(true);

	(void)state;
	fake.status = DAXMR_PROTO_STATUS_ACCESS_DENIED;
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 2, "", &yes), -EACCES);
	fake.status = DAXMR_PROTO_STATUS_INTERNAL;
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 2, "", &yes), -EIO);
	fake.status = DAXMR_PROTO_STATUS_OK;
	fake.call_err = -ENOTCONN;
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 2, "", &yes), -ENOTCONN);
}

/*
 * Version 4: AUTH names the identity and the proof binds it and the version; the server's proof
 * must be for the same identity (one made for another is refused, as a reflected or replayed
 * one); an identity on a version-3 connection is refused before anything is sent.
 */
static void auth__identity_version_4(void **state)
{
	struct daxmr_proto_hello_reply yes = hello_reply(true);
	const struct daxmr_proto_auth *a = &fake.sent[0].auth;

	(void)state;
	yes.version = 4;
	fake.auth_version = 4;
	fake.server_identity = "tenant-a";
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 4, "tenant-a", &yes), 0);
	assert_string_equal(a->identity, "tenant-a");
	assert_true(daxmr_auth_verify_id(&client_key, DAXMR_AUTH_CLIENT, 4, "tenant-a", challenge,
					 a->nonce, a->proof));
	assert_false(daxmr_auth_verify_id(&client_key, DAXMR_AUTH_CLIENT, 4, "tenant-b", challenge,
					  a->nonce, a->proof));
	assert_false(daxmr_auth_verify_id(&client_key, DAXMR_AUTH_SERVER, 4, "tenant-a", challenge,
					  a->nonce, a->proof));
	assert_false(
		daxmr_auth_verify(&client_key, DAXMR_AUTH_CLIENT, challenge, a->nonce, a->proof));
	fake.server_identity = "tenant-b";
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 4, "tenant-a", &yes),
			 -EACCES);
	fake.nsent = 0;
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 3, "tenant-a", &yes),
			 -EACCES);
	assert_int_equal(fake.nsent, 0);
	fake.server_identity = "";
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 4, "", &yes), 0);
	assert_string_equal(a->identity, "");
	fake.status = DAXMR_PROTO_STATUS_ACCESS_DENIED;
	assert_int_equal(daxmr_handshake_auth(fake_client, &client_key, 4, "tenant-a", &yes),
			 -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(hello__ok_and_version_EPROTO, setup),
		cmocka_unit_test_setup(hello__refused_and_lost, setup),
		cmocka_unit_test_setup(auth__policy, setup),
		cmocka_unit_test_setup(auth__identity_version_4, setup),
		cmocka_unit_test_setup(auth__proofs, setup),
		cmocka_unit_test_setup(auth__refused_and_lost, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
