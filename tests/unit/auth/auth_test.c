/* SPDX-License-Identifier: BSD-3-Clause */
/* auth_test.c -- auth: golden vectors, every verify rejection, the secret-file checks */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth.h"

/*
 * The golden vectors were computed with Python's hashlib and hmac, not libsodium:
 *   key = hashlib.blake2b(SECRET, digest_size=32, key=b"daxmr-psk-v2-key").digest()
 *   hmac.new(key, b"daxmr-auth-v2 client" + CHALLENGE + NONCE, hashlib.sha512).digest()[:32]
 */
#define SECRET "correct horse battery staple\n"

static const uint8_t golden_key[DAXMR_AUTH_KEY_SIZE] = {
	0xb2, 0x1f, 0x60, 0x1d, 0x73, 0xab, 0x8a, 0xd2, 0x0f, 0x42, 0xc3,
	0x26, 0x3e, 0x55, 0x57, 0x18, 0x86, 0xee, 0x0f, 0xf2, 0xb9, 0x05,
	0x23, 0x7e, 0xb3, 0xeb, 0xb8, 0x1c, 0x7b, 0xc8, 0x45, 0xaf,
};
static const uint8_t golden_client_proof[DAXMR_AUTH_PROOF_SIZE] = {
	0xe2, 0x1a, 0xb3, 0x27, 0x10, 0x8f, 0x2b, 0xfb, 0x6d, 0x40, 0x61,
	0xbc, 0xf1, 0xc5, 0xae, 0xe2, 0x8c, 0x7c, 0x8e, 0xf6, 0xb3, 0x5d,
	0x35, 0x2b, 0x45, 0x2d, 0x57, 0x27, 0xe9, 0xa9, 0x3a, 0x75,
};
static const uint8_t golden_server_proof[DAXMR_AUTH_PROOF_SIZE] = {
	0x93, 0xfd, 0xeb, 0xeb, 0x42, 0xf0, 0x9c, 0x37, 0xdb, 0x0f, 0xaa,
	0x00, 0x77, 0x02, 0xc9, 0x17, 0x08, 0x76, 0xe8, 0x87, 0x3a, 0x28,
	0x34, 0x0a, 0x3f, 0x53, 0x7e, 0xae, 0xca, 0x18, 0xb4, 0x43,
};

/*
 * Version 4, identity "tenant-a":
 *   hmac.new(key, b"daxmr-auth-v4 client" + b"\x04\x00" + CHALLENGE + NONCE + b"\x08tenant-a",
 *            hashlib.sha512).digest()[:32]
 */
static const uint8_t golden_client_proof_v4[DAXMR_AUTH_PROOF_SIZE] = {
	0x6e, 0xc6, 0x1e, 0xdc, 0x9a, 0x58, 0x8b, 0xaf, 0xa1, 0xf8, 0xeb,
	0xd2, 0xdc, 0xc7, 0xc4, 0x62, 0x4f, 0xa8, 0x17, 0x74, 0x92, 0x71,
	0x06, 0x16, 0xfe, 0x7f, 0xb8, 0xf1, 0xee, 0xa9, 0x2e, 0x4c,
};
static const uint8_t golden_server_proof_v4[DAXMR_AUTH_PROOF_SIZE] = {
	0x74, 0xf1, 0x2a, 0x12, 0xe1, 0xa2, 0xa4, 0xe2, 0xb6, 0x8c, 0x8c,
	0xf6, 0x40, 0x44, 0x24, 0x64, 0x55, 0x61, 0x5f, 0xe8, 0x4d, 0xcc,
	0xa0, 0xea, 0xc8, 0x10, 0xe0, 0xbb, 0xef, 0x65, 0x27, 0xa8,
};

static uint8_t challenge[DAXMR_AUTH_NONCE_SIZE]; /* 0x00, 0x01, ... 0x1f */
static uint8_t nonce[DAXMR_AUTH_NONCE_SIZE];	 /* 0x80, 0x81, ... 0x9f */

/* Fills the fixed challenge and nonce the golden proofs were computed over. */
static int setup_vectors(void **state)
{
	(void)state;
	for (int i = 0; i < DAXMR_AUTH_NONCE_SIZE; i++) {
		challenge[i] = (uint8_t)i;
		nonce[i] = (uint8_t)(0x80 + i);
	}
	return daxmr_auth_init();
}

/* The key of the golden secret. */
static struct daxmr_auth_key golden(void)
{
	struct daxmr_auth_key key;

	assert_int_equal(daxmr_auth_key_from_bytes(SECRET, strlen(SECRET), &key), 0);
	return key;
}

/* Writes len bytes of data into a new file in TMPDIR with the given mode; path gets its name. */
static void secret_file(char *path, size_t size, const void *data, size_t len, mode_t mode)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, size, "%s/daxmr-auth-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Loads path and expects err, with a reason that names the path and contains reason. */
static void assert_load_fails(const char *path, int err, const char *reason)
{
	struct daxmr_auth_key key;
	char why[PATH_MAX + 128] = "";

	memset(&key, 0xa5, sizeof(key));
	assert_int_equal(daxmr_auth_key_load(path, &key, why, sizeof(why)), err);
	if (strncmp(why, path, strlen(path)) != 0 || !strstr(why, reason))
		fail_msg("reason \"%s\" lacks the path %s or \"%s\"", why, path, reason);
	for (size_t i = 0; i < sizeof(key.bytes); i++)
		assert_int_equal(key.bytes[i], 0xa5);
}

/* The derived key matches the one computed outside libsodium. */
static void key_from_bytes__golden(void **state)
{
	struct daxmr_auth_key key = golden();

	(void)state;
	assert_memory_equal(key.bytes, golden_key, sizeof(golden_key));
}

/* Secrets of SECRET_MIN and SECRET_MAX bytes are taken; one byte fewer or more is not. */
static void key_from_bytes__size_limits(void **state)
{
	static uint8_t secret[DAXMR_AUTH_SECRET_MAX + 1];
	struct daxmr_auth_key key;

	(void)state;
	memset(secret, 's', sizeof(secret));
	assert_int_equal(daxmr_auth_key_from_bytes(secret, DAXMR_AUTH_SECRET_MIN, &key), 0);
	assert_int_equal(daxmr_auth_key_from_bytes(secret, DAXMR_AUTH_SECRET_MAX, &key), 0);
	assert_int_equal(daxmr_auth_key_from_bytes(secret, DAXMR_AUTH_SECRET_MIN - 1, &key),
			 -EINVAL);
	assert_int_equal(daxmr_auth_key_from_bytes(secret, DAXMR_AUTH_SECRET_MAX + 1, &key),
			 -EINVAL);
	assert_int_equal(daxmr_auth_key_from_bytes(secret, 0, &key), -EINVAL);
}

/* Both proofs match the ones computed outside libsodium. */
static void proof__golden(void **state)
{
	struct daxmr_auth_key key = golden();
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];

	(void)state;
	daxmr_auth_proof(&key, DAXMR_AUTH_CLIENT, challenge, nonce, proof);
	assert_memory_equal(proof, golden_client_proof, sizeof(proof));
	daxmr_auth_proof(&key, DAXMR_AUTH_SERVER, challenge, nonce, proof);
	assert_memory_equal(proof, golden_server_proof, sizeof(proof));
}

/* libsodium's HMAC-SHA-512-256 is HMAC-SHA-512 cut to 32 bytes (not SHA-512/256's own IV). */
static void proof__is_truncated_hmac_sha512(void **state)
{
	struct daxmr_auth_key key = golden();
	static const char label[] = "daxmr-auth-v2 server";
	crypto_auth_hmacsha512_state st;
	uint8_t full[crypto_auth_hmacsha512_BYTES], proof[DAXMR_AUTH_PROOF_SIZE];

	(void)state;
	crypto_auth_hmacsha512_init(&st, key.bytes, sizeof(key.bytes));
	crypto_auth_hmacsha512_update(&st, (const unsigned char *)label, strlen(label));
	crypto_auth_hmacsha512_update(&st, challenge, sizeof(challenge));
	crypto_auth_hmacsha512_update(&st, nonce, sizeof(nonce));
	crypto_auth_hmacsha512_final(&st, full);
	daxmr_auth_proof(&key, DAXMR_AUTH_SERVER, challenge, nonce, proof);
	assert_memory_equal(proof, full, sizeof(proof));
}

/* The right proof verifies, for either role. */
static void verify__right_proof(void **state)
{
	struct daxmr_auth_key key = golden();

	(void)state;
	assert_true(
		daxmr_auth_verify(&key, DAXMR_AUTH_CLIENT, challenge, nonce, golden_client_proof));
	assert_true(
		daxmr_auth_verify(&key, DAXMR_AUTH_SERVER, challenge, nonce, golden_server_proof));
}

/* Any single flipped bit of the proof fails, wherever it is. */
static void verify__flipped_bit(void **state)
{
	struct daxmr_auth_key key = golden();
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];

	(void)state;
	for (unsigned int bit = 0; bit < 8 * sizeof(proof); bit++) {
		memcpy(proof, golden_client_proof, sizeof(proof));
		proof[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(daxmr_auth_verify(&key, DAXMR_AUTH_CLIENT, challenge, nonce, proof));
	}
}

/* A proof made with another secret fails. */
static void verify__other_key(void **state)
{
	struct daxmr_auth_key key = golden(), other;
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];

	(void)state;
	assert_int_equal(daxmr_auth_key_from_bytes("correct horse battery staple", 28, &other), 0);
	daxmr_auth_proof(&other, DAXMR_AUTH_CLIENT, challenge, nonce, proof);
	assert_false(daxmr_auth_verify(&key, DAXMR_AUTH_CLIENT, challenge, nonce, proof));
}

/* No reflection: a client's proof is not a server's, nor the other way round. */
static void verify__swapped_role(void **state)
{
	struct daxmr_auth_key key = golden();

	(void)state;
	assert_false(
		daxmr_auth_verify(&key, DAXMR_AUTH_SERVER, challenge, nonce, golden_client_proof));
	assert_false(
		daxmr_auth_verify(&key, DAXMR_AUTH_CLIENT, challenge, nonce, golden_server_proof));
}

/* A proof over another challenge or another nonce fails, as does one with the two swapped. */
static void verify__other_challenge_or_nonce(void **state)
{
	struct daxmr_auth_key key = golden();
	uint8_t other[DAXMR_AUTH_NONCE_SIZE];

	(void)state;
	memcpy(other, challenge, sizeof(other));
	other[31] ^= 1;
	assert_false(daxmr_auth_verify(&key, DAXMR_AUTH_CLIENT, other, nonce, golden_client_proof));
	memcpy(other, nonce, sizeof(other));
	other[0] ^= 0x80;
	assert_false(
		daxmr_auth_verify(&key, DAXMR_AUTH_CLIENT, challenge, other, golden_client_proof));
	assert_false(
		daxmr_auth_verify(&key, DAXMR_AUTH_CLIENT, nonce, challenge, golden_client_proof));
}

/* sodium_init is wrapped: -1 (no CSPRNG) while sodium_fail is set. */
static bool sodium_fail;
int __real_sodium_init(void);
int __wrap_sodium_init(void);
int __wrap_sodium_init(void)
{
	return sodium_fail ? -1 : __real_sodium_init();
}

/* libsodium that cannot initialise: the loader itself says so, naming the file, -EIO. */
static void key_load__sodium_init_fails(void **state)
{
	struct daxmr_auth_key key;
	char path[PATH_MAX], why[PATH_MAX + 64] = "";

	(void)state;
	secret_file(path, sizeof(path), SECRET, strlen(SECRET), 0600);
	sodium_fail = true;
	assert_int_equal(daxmr_auth_key_load(path, &key, why, sizeof(why)), -EIO);
	sodium_fail = false;
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, "libsodium failed to initialise"));
	unlink(path);
}

/* A 0600 file gives the key of its bytes, trailing newline included. */
static void key_load__good(void **state)
{
	struct daxmr_auth_key key;
	char path[PATH_MAX], why[64] = "";

	(void)state;
	secret_file(path, sizeof(path), SECRET, strlen(SECRET), 0600);
	assert_int_equal(daxmr_auth_key_load(path, &key, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_memory_equal(key.bytes, golden_key, sizeof(golden_key));
	unlink(path);

	secret_file(path, sizeof(path), SECRET, strlen(SECRET), 0400);
	assert_int_equal(daxmr_auth_key_load(path, &key, NULL, 0), 0);
	assert_memory_equal(key.bytes, golden_key, sizeof(golden_key));
	daxmr_auth_key_wipe(&key);
	for (size_t i = 0; i < sizeof(key.bytes); i++)
		assert_int_equal(key.bytes[i], 0);
	unlink(path);
}

/* Readable or writable by group or others: refused like an ssh key, with the fix in the reason. */
static void key_load__mode_EPERM(void **state)
{
	static const mode_t modes[] = { 0640, 0604, 0620, 0602, 0644, 0666 };
	char path[PATH_MAX], reason[32];

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		secret_file(path, sizeof(path), SECRET, strlen(SECRET), modes[i]);
		snprintf(reason, sizeof(reason), "mode %04o: chmod 600 it", (unsigned int)modes[i]);
		assert_load_fails(path, -EPERM, reason);
		unlink(path);
	}
}

/* A missing file is -ENOENT, a directory -EINVAL; the reason names the path. */
static void key_load__not_a_file(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], path[PATH_MAX + 16];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/daxmr-auth-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_load_fails(path, -ENOENT, "open: ");
	assert_load_fails(dir, -EINVAL, "not a regular file");
	rmdir(dir);
}

/* SECRET_MIN and SECRET_MAX bytes load; one fewer or more is -EINVAL, as is an empty file. */
static void key_load__size_limits(void **state)
{
	static uint8_t secret[DAXMR_AUTH_SECRET_MAX + 1];
	struct daxmr_auth_key key, want;
	char path[PATH_MAX];

	(void)state;
	memset(secret, 's', sizeof(secret));
	secret_file(path, sizeof(path), secret, DAXMR_AUTH_SECRET_MIN, 0600);
	assert_int_equal(daxmr_auth_key_load(path, &key, NULL, 0), 0);
	assert_int_equal(daxmr_auth_key_from_bytes(secret, DAXMR_AUTH_SECRET_MIN, &want), 0);
	assert_memory_equal(key.bytes, want.bytes, sizeof(want.bytes));
	unlink(path);
	secret_file(path, sizeof(path), secret, DAXMR_AUTH_SECRET_MAX, 0600);
	assert_int_equal(daxmr_auth_key_load(path, &key, NULL, 0), 0);
	assert_int_equal(daxmr_auth_key_from_bytes(secret, DAXMR_AUTH_SECRET_MAX, &want), 0);
	assert_memory_equal(key.bytes, want.bytes, sizeof(want.bytes));
	unlink(path);

	secret_file(path, sizeof(path), secret, DAXMR_AUTH_SECRET_MIN - 1, 0600);
	assert_load_fails(path, -EINVAL, "too few bytes");
	unlink(path);
	secret_file(path, sizeof(path), secret, 0, 0600);
	assert_load_fails(path, -EINVAL, "too few bytes");
	unlink(path);
	secret_file(path, sizeof(path), secret, DAXMR_AUTH_SECRET_MAX + 1, 0600);
	assert_load_fails(path, -EINVAL, "too many bytes");
	unlink(path);
}

/* A symlink to a good file is followed: the checks are on the file itself. */
static void key_load__symlink_followed(void **state)
{
	struct daxmr_auth_key key;
	char path[PATH_MAX], link[PATH_MAX + 8];

	(void)state;
	secret_file(path, sizeof(path), SECRET, strlen(SECRET), 0600);
	snprintf(link, sizeof(link), "%s.link", path);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(daxmr_auth_key_load(link, &key, NULL, 0), 0);
	assert_memory_equal(key.bytes, golden_key, sizeof(golden_key));
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(daxmr_auth_key_load(link, &key, NULL, 0), -EPERM);
	unlink(link);
	unlink(path);
}

/* Version 4's proofs match the ones computed outside libsodium. */
static void proof_id__golden(void **state)
{
	struct daxmr_auth_key key = golden();
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];

	(void)state;
	daxmr_auth_proof_id(&key, DAXMR_AUTH_CLIENT, 4, "tenant-a", challenge, nonce, proof);
	assert_memory_equal(proof, golden_client_proof_v4, sizeof(proof));
	daxmr_auth_proof_id(&key, DAXMR_AUTH_SERVER, 4, "tenant-a", challenge, nonce, proof);
	assert_memory_equal(proof, golden_server_proof_v4, sizeof(proof));
	assert_true(daxmr_auth_verify_id(&key, DAXMR_AUTH_SERVER, 4, "tenant-a", challenge, nonce,
					 golden_server_proof_v4));
}

/*
 * A version-4 proof proves nothing for another identity (even one sharing the key: a tenant
 * whose secret file was copied), another role (reflection), another version, a prefix or
 * extension of the name, or as a version-2 proof: replay across identities fails.
 */
static void verify_id__cross_identity_replay(void **state)
{
	struct daxmr_auth_key key = golden();
	const uint8_t *p = golden_client_proof_v4;

	(void)state;
	assert_true(
		daxmr_auth_verify_id(&key, DAXMR_AUTH_CLIENT, 4, "tenant-a", challenge, nonce, p));
	assert_false(
		daxmr_auth_verify_id(&key, DAXMR_AUTH_CLIENT, 4, "tenant-b", challenge, nonce, p));
	assert_false(
		daxmr_auth_verify_id(&key, DAXMR_AUTH_CLIENT, 4, "tenant-", challenge, nonce, p));
	assert_false(
		daxmr_auth_verify_id(&key, DAXMR_AUTH_CLIENT, 4, "tenant-aa", challenge, nonce, p));
	assert_false(daxmr_auth_verify_id(&key, DAXMR_AUTH_CLIENT, 4, "", challenge, nonce, p));
	assert_false(
		daxmr_auth_verify_id(&key, DAXMR_AUTH_SERVER, 4, "tenant-a", challenge, nonce, p));
	assert_false(
		daxmr_auth_verify_id(&key, DAXMR_AUTH_CLIENT, 5, "tenant-a", challenge, nonce, p));
	assert_false(
		daxmr_auth_verify_id(&key, DAXMR_AUTH_CLIENT, 4, "tenant-a", nonce, challenge, p));
	assert_false(daxmr_auth_verify(&key, DAXMR_AUTH_CLIENT, challenge, nonce, p));
	assert_false(daxmr_auth_verify_id(&key, DAXMR_AUTH_CLIENT, 4, "", challenge, nonce,
					  golden_client_proof));
}

/* Identity names: the alphabet, the length, no leading dot. */
static void identity_valid__names(void **state)
{
	char long_name[DAXMR_AUTH_IDENTITY_MAX + 2];

	(void)state;
	assert_true(daxmr_auth_identity_valid("tenant-a"));
	assert_true(daxmr_auth_identity_valid("app_1.prod@site-2"));
	assert_false(daxmr_auth_identity_valid(""));
	assert_false(daxmr_auth_identity_valid(".hidden"));
	assert_false(daxmr_auth_identity_valid("a/b"));
	assert_false(daxmr_auth_identity_valid("a b"));
	assert_false(daxmr_auth_identity_valid("a+b"));
	assert_false(daxmr_auth_identity_valid("caf\xc3\xa9"));
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(daxmr_auth_identity_valid(long_name));
	long_name[DAXMR_AUTH_IDENTITY_MAX] = '\0';
	assert_true(daxmr_auth_identity_valid(long_name));
}

/* A fresh mode-0700 directory under TMPDIR; path gets its name. */
static void keys_dir(char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");

	snprintf(path, size, "%s/daxmr-keys-XXXXXX", dir && *dir ? dir : "/tmp");
	assert_non_null(mkdtemp(path));
}

/* Writes dir/name with data and mode. */
static void keys_put(const char *dir, const char *name, const char *data, mode_t mode)
{
	char path[2 * PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(data, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Removes dir/name (if there) and dir. */
static void keys_rm(const char *dir, const char *const *names)
{
	char path[2 * PATH_MAX];

	for (; *names; names++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *names);
		unlink(path);
	}
	rmdir(dir);
}

/* A directory of two keys (and a dot file, skipped): both found with their keys, others not. */
static void keyring_load__good(void **state)
{
	static const char *const names[] = { "tenant-b", "tenant-a", ".swp", NULL };
	struct daxmr_auth_keyring ring = { NULL, 0 };
	const struct daxmr_auth_identity *id;
	struct daxmr_auth_key key = golden();
	char dir[PATH_MAX], why[256];

	(void)state;
	keys_dir(dir, sizeof(dir));
	keys_put(dir, "tenant-a", SECRET, 0600);
	keys_put(dir, "tenant-b", "another tenant's secret", 0400);
	keys_put(dir, ".swp", "x", 0644);
	assert_int_equal(daxmr_auth_keyring_load(dir, &ring, why, sizeof(why)), 0);
	assert_int_equal(ring.n, 2);
	id = daxmr_auth_keyring_find(&ring, "tenant-a");
	assert_non_null(id);
	assert_memory_equal(id->key.bytes, key.bytes, sizeof(key.bytes));
	assert_non_null(daxmr_auth_keyring_find(&ring, "tenant-b"));
	assert_null(daxmr_auth_keyring_find(&ring, "tenant-c"));
	assert_null(daxmr_auth_keyring_find(&ring, ""));
	assert_null(daxmr_auth_keyring_find(&ring, ".swp"));
	assert_null(daxmr_auth_keyring_find(NULL, "tenant-a"));
	daxmr_auth_keyring_free(&ring);
	assert_int_equal(ring.n, 0);
	assert_null(ring.ids);
	daxmr_auth_keyring_free(&ring); /* idempotent */
	keys_rm(dir, names);
}

/*
 * Refused, naming the cause: a key readable by others, one too short, a bad name, a directory
 * others may write to, no directory. The ring is left as it was.
 */
static void keyring_load__refusals(void **state)
{
	static const char *const names[] = { "tenant-a", "tenant-b", "bad name", NULL };
	struct daxmr_auth_keyring ring = { NULL, 7 };
	char dir[PATH_MAX], why[512];

	(void)state;
	keys_dir(dir, sizeof(dir));
	keys_put(dir, "tenant-a", SECRET, 0644);
	assert_int_equal(daxmr_auth_keyring_load(dir, &ring, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "tenant-a: mode 0644: chmod 600 it"));
	assert_int_equal(ring.n, 7);
	keys_put(dir, "tenant-a", SECRET, 0600);
	keys_put(dir, "tenant-b", "short", 0600);
	assert_int_equal(daxmr_auth_keyring_load(dir, &ring, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "tenant-b: too few bytes"));
	keys_put(dir, "tenant-b", SECRET, 0600);
	keys_put(dir, "bad name", SECRET, 0600);
	assert_int_equal(daxmr_auth_keyring_load(dir, &ring, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "'bad name': not an identity name"));
	keys_rm(dir, (const char *const[]){ "bad name", NULL });
	keys_dir(dir, sizeof(dir));
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(daxmr_auth_keyring_load(dir, &ring, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "others could add a key"));
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(daxmr_auth_keyring_load(dir, &ring, why, sizeof(why)), 0);
	assert_int_equal(ring.n, 0); /* an empty directory: no identity, no error */
	daxmr_auth_keyring_free(&ring);
	keys_rm(dir, names);
	assert_int_equal(daxmr_auth_keyring_load(dir, &ring, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "opendir"));
}

/* Two challenges drawn one after the other differ (a repeat would be a broken CSPRNG). */
static void random__differs(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	daxmr_auth_random(a, sizeof(a));
	daxmr_auth_random(b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_from_bytes__golden),
		cmocka_unit_test(key_from_bytes__size_limits),
		cmocka_unit_test(proof__golden),
		cmocka_unit_test(proof__is_truncated_hmac_sha512),
		cmocka_unit_test(verify__right_proof),
		cmocka_unit_test(verify__flipped_bit),
		cmocka_unit_test(verify__other_key),
		cmocka_unit_test(verify__swapped_role),
		cmocka_unit_test(verify__other_challenge_or_nonce),
		cmocka_unit_test(key_load__good),
		cmocka_unit_test(key_load__sodium_init_fails),
		cmocka_unit_test(key_load__mode_EPERM),
		cmocka_unit_test(key_load__not_a_file),
		cmocka_unit_test(key_load__size_limits),
		cmocka_unit_test(key_load__symlink_followed),
		cmocka_unit_test(random__differs),
		cmocka_unit_test(proof_id__golden),
		cmocka_unit_test(verify_id__cross_identity_replay),
		cmocka_unit_test(identity_valid__names),
		cmocka_unit_test(keyring_load__good),
		cmocka_unit_test(keyring_load__refusals),
	};

	return cmocka_run_group_tests(tests, setup_vectors, NULL);
}
