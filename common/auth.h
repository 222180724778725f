/* SPDX-License-Identifier: BSD-3-Clause */
/* auth.h -- pre-shared-secret keys and the challenge-response proofs both sides compute */
#ifndef DAXMR_AUTH_H
#define DAXMR_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DAXMR_AUTH_KEY_SIZE 32
#define DAXMR_AUTH_NONCE_SIZE 32 /* the server's challenge and the client's nonce */
#define DAXMR_AUTH_PROOF_SIZE 32
#define DAXMR_AUTH_SECRET_MIN 16 /* bytes in a secret file */
#define DAXMR_AUTH_SECRET_MAX 4096

/* Who computed a proof: each side has its own label, so a proof cannot be reflected back. */
enum daxmr_auth_role {
	DAXMR_AUTH_CLIENT = 1,
	DAXMR_AUTH_SERVER = 2,
};

struct daxmr_auth_key {
	uint8_t bytes[DAXMR_AUTH_KEY_SIZE];
};

/* Initialises libsodium once (idempotent, thread-safe); the functions below call it as needed. */
int daxmr_auth_init(void);

/*
 * Derives the key from a secret's bytes: BLAKE2b-256 of them keyed with the label
 * "daxmr-psk-v2-key". Returns 0, -EINVAL if len is outside [SECRET_MIN, SECRET_MAX], or -EIO.
 */
int daxmr_auth_key_from_bytes(const void *secret, size_t len, struct daxmr_auth_key *key);

/*
 * Loads the key from a secret file: a regular file (symlinks followed) of SECRET_MIN to
 * SECRET_MAX bytes, all of them taken (a trailing newline too), neither readable nor writable
 * by group or others. Initialises libsodium itself: the one loader both sides call. Returns 0,
 * the -errno of open/fstat/read, -EINVAL (size, not a regular file), -EPERM (mode) or -EIO
 * (libsodium could not initialise); on error writes a reason naming the path into why (if not
 * NULL).
 */
int daxmr_auth_key_load(const char *path, struct daxmr_auth_key *key, char *why, size_t why_size);

/* Fills buf with len bytes from the system's CSPRNG (challenges and nonces). */
void daxmr_auth_random(void *buf, size_t len);

/*
 * proof = HMAC-SHA-512-256(key, "daxmr-auth-v2 client" or "daxmr-auth-v2 server" (by role,
 * no NUL) || challenge || nonce).
 */
void daxmr_auth_proof(const struct daxmr_auth_key *key, enum daxmr_auth_role role,
		      const uint8_t challenge[DAXMR_AUTH_NONCE_SIZE],
		      const uint8_t nonce[DAXMR_AUTH_NONCE_SIZE],
		      uint8_t proof[DAXMR_AUTH_PROOF_SIZE]);

/* Whether proof is the one daxmr_auth_proof computes from the same inputs (constant time). */
bool daxmr_auth_verify(const struct daxmr_auth_key *key, enum daxmr_auth_role role,
		       const uint8_t challenge[DAXMR_AUTH_NONCE_SIZE],
		       const uint8_t nonce[DAXMR_AUTH_NONCE_SIZE],
		       const uint8_t proof[DAXMR_AUTH_PROOF_SIZE]);

/*
 * Version 4 (identities): proof = HMAC-SHA-512-256(key, "daxmr-auth-v4 client" or "daxmr-auth-v4
 * server" || u16 version (little-endian) || challenge || nonce || u8 n || the n bytes of
 * identity), so that a proof made for one identity, role or version proves nothing for another.
 * identity: "" (the anonymous identity) or at most DAXMR_AUTH_IDENTITY_MAX bytes (longer ones
 * are cut there: callers pass validated names).
 */
void daxmr_auth_proof_id(const struct daxmr_auth_key *key, enum daxmr_auth_role role,
			 uint16_t version, const char *identity,
			 const uint8_t challenge[DAXMR_AUTH_NONCE_SIZE],
			 const uint8_t nonce[DAXMR_AUTH_NONCE_SIZE],
			 uint8_t proof[DAXMR_AUTH_PROOF_SIZE]);

/* Whether proof is the one daxmr_auth_proof_id computes from the same inputs (constant time). */
bool daxmr_auth_verify_id(const struct daxmr_auth_key *key, enum daxmr_auth_role role,
			  uint16_t version, const char *identity,
			  const uint8_t challenge[DAXMR_AUTH_NONCE_SIZE],
			  const uint8_t nonce[DAXMR_AUTH_NONCE_SIZE],
			  const uint8_t proof[DAXMR_AUTH_PROOF_SIZE]);

/* ---- the server's keys directory: one named secret per file ---- */

#define DAXMR_AUTH_IDENTITY_MAX 64 /* bytes in an identity name */
#define DAXMR_AUTH_KEYS_MAX 4096   /* identities in one keys directory */

/* One identity: its name (a file's name in the keys directory) and its key. */
struct daxmr_auth_identity {
	char name[DAXMR_AUTH_IDENTITY_MAX + 1];
	struct daxmr_auth_key key;
};

/* Every identity of a keys directory, sorted by name. */
struct daxmr_auth_keyring {
	struct daxmr_auth_identity *ids; /* owned: n of them */
	size_t n;
};

/*
 * Whether name may name an identity: 1..DAXMR_AUTH_IDENTITY_MAX bytes of [A-Za-z0-9._@-], not
 * starting with '.' (so it is a safe file name, log word and metrics label value).
 */
bool daxmr_auth_identity_valid(const char *name);

/*
 * Loads the keys directory dir: each entry not starting with '.' is an identity, its name the
 * entry's (daxmr_auth_identity_valid), its secret the file's bytes, loaded as
 * daxmr_auth_key_load does (a regular file, 16-4096 bytes, mode 0600 or stricter). The
 * directory itself must not be writable by group or others. An empty directory is allowed (no
 * identity). Returns 0 with *ring filled (daxmr_auth_keyring_free it), or -errno with why naming
 * the directory or file and the cause; *ring is then untouched.
 */
int daxmr_auth_keyring_load(const char *dir, struct daxmr_auth_keyring *ring, char *why,
			    size_t why_size);

/* The identity called name, or NULL. */
const struct daxmr_auth_identity *daxmr_auth_keyring_find(const struct daxmr_auth_keyring *ring,
							  const char *name);

/* Wipes and frees every key; leaves ring empty; idempotent. */
void daxmr_auth_keyring_free(struct daxmr_auth_keyring *ring);

/* Overwrites the key with zeros the compiler cannot optimise away. */
void daxmr_auth_key_wipe(struct daxmr_auth_key *key);

#endif /* DAXMR_AUTH_H */
