/* SPDX-License-Identifier: BSD-3-Clause */
/* auth.c -- pre-shared-secret keys and the challenge-response proofs both sides compute */
#include "auth.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"

#define AUTH_KEY_LABEL "daxmr-psk-v2-key" /* 16 bytes: crypto_generichash_KEYBYTES_MIN */
#define AUTH_CLIENT_LABEL "daxmr-auth-v2 client"
#define AUTH_SERVER_LABEL "daxmr-auth-v2 server"
#define AUTH_CLIENT_LABEL_ID "daxmr-auth-v4 client"
#define AUTH_SERVER_LABEL_ID "daxmr-auth-v4 server"

/* sodium_init: 0 the first time, 1 after that, -1 if it could not set up its CSPRNG. */
int daxmr_auth_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

/* One keyed BLAKE2b; the label keeps this derivation apart from any other use of the secret. */
int daxmr_auth_key_from_bytes(const void *secret, size_t len, struct daxmr_auth_key *key)
{
	int ret;

	if (len < DAXMR_AUTH_SECRET_MIN || len > DAXMR_AUTH_SECRET_MAX)
		return -EINVAL;
	ret = daxmr_auth_init();
	if (ret)
		return ret;
	if (crypto_generichash(key->bytes, sizeof(key->bytes), secret, len,
			       (const unsigned char *)AUTH_KEY_LABEL, strlen(AUTH_KEY_LABEL)))
		return -EIO;
	return 0;
}

/* Writes "<path>: <reason>" into why (if there is room) and returns err. */
__attribute__((format(printf, 5, 6))) static int auth_fail(int err, char *why, size_t why_size,
							   const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (why && why_size) {
		n = snprintf(why, why_size, "%s: ", path);
		if (n >= 0 && (size_t)n < why_size) {
			va_start(ap, fmt);
			vsnprintf(why + n, why_size - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return err;
}

/* Reads until EOF or size bytes; returns the count or -errno. */
static ssize_t auth_read_all(int fd, uint8_t *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n < size) {
		r = read(fd, buf + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

/*
 * The checks are on the opened fd, so the file checked is the file read. One byte more than
 * the maximum is read to tell a too-long file from one exactly at the limit.
 */
int daxmr_auth_key_load(const char *path, struct daxmr_auth_key *key, char *why, size_t why_size)
{
	uint8_t buf[DAXMR_AUTH_SECRET_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, ret;

	ret = daxmr_auth_init();
	if (ret)
		return auth_fail(ret, why, why_size, path, "libsodium failed to initialise");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block us */
	if (fd < 0) {
		ret = -errno;
		return auth_fail(ret, why, why_size, path, "open: %s", daxmr_log_strerror(ret));
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		auth_fail(ret, why, why_size, path, "fstat: %s", daxmr_log_strerror(ret));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = auth_fail(-EINVAL, why, why_size, path, "not a regular file");
		goto out_close;
	}
	if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
		ret = auth_fail(-EPERM, why, why_size, path, "mode %04o: chmod 600 it",
				(unsigned int)(st.st_mode & 07777));
		goto out_close;
	}
	n = auth_read_all(fd, buf, sizeof(buf));
	if (n < 0) {
		ret = auth_fail((int)n, why, why_size, path, "read: %s",
				daxmr_log_strerror((int)n));
		goto out_wipe;
	}
	if (n < DAXMR_AUTH_SECRET_MIN || n > DAXMR_AUTH_SECRET_MAX) {
		ret = auth_fail(-EINVAL, why, why_size, path, "%s bytes: a secret has %d to %d",
				n > DAXMR_AUTH_SECRET_MAX ? "too many" : "too few",
				DAXMR_AUTH_SECRET_MIN, DAXMR_AUTH_SECRET_MAX);
		goto out_wipe;
	}
	ret = daxmr_auth_key_from_bytes(buf, (size_t)n, key);
	if (ret)
		auth_fail(ret, why, why_size, path, "key derivation failed");
out_wipe:
	sodium_memzero(buf, sizeof(buf));
out_close:
	close(fd);
	return ret;
}

/* randombytes_buf is only safe to call once sodium_init has picked its source. */
void daxmr_auth_random(void *buf, size_t len)
{
	(void)daxmr_auth_init();
	randombytes_buf(buf, len);
}

/* Streams label, challenge and nonce through the HMAC (no init needed: no CPU dispatch). */
void daxmr_auth_proof(const struct daxmr_auth_key *key, enum daxmr_auth_role role,
		      const uint8_t challenge[DAXMR_AUTH_NONCE_SIZE],
		      const uint8_t nonce[DAXMR_AUTH_NONCE_SIZE],
		      uint8_t proof[DAXMR_AUTH_PROOF_SIZE])
{
	const char *label = role == DAXMR_AUTH_SERVER ? AUTH_SERVER_LABEL : AUTH_CLIENT_LABEL;
	crypto_auth_hmacsha512256_state st;

	crypto_auth_hmacsha512256_init(&st, key->bytes, sizeof(key->bytes));
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)label, strlen(label));
	crypto_auth_hmacsha512256_update(&st, challenge, DAXMR_AUTH_NONCE_SIZE);
	crypto_auth_hmacsha512256_update(&st, nonce, DAXMR_AUTH_NONCE_SIZE);
	crypto_auth_hmacsha512256_final(&st, proof);
	sodium_memzero(&st, sizeof(st));
}

/* Recomputes the proof and compares in constant time, so timing does not leak a prefix. */
bool daxmr_auth_verify(const struct daxmr_auth_key *key, enum daxmr_auth_role role,
		       const uint8_t challenge[DAXMR_AUTH_NONCE_SIZE],
		       const uint8_t nonce[DAXMR_AUTH_NONCE_SIZE],
		       const uint8_t proof[DAXMR_AUTH_PROOF_SIZE])
{
	uint8_t want[DAXMR_AUTH_PROOF_SIZE];
	bool ok;

	daxmr_auth_proof(key, role, challenge, nonce, want);
	ok = crypto_verify_32(want, proof) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

/* The version-4 proof: label, version, both random strings, then the identity it speaks for. */
void daxmr_auth_proof_id(const struct daxmr_auth_key *key, enum daxmr_auth_role role,
			 uint16_t version, const char *identity,
			 const uint8_t challenge[DAXMR_AUTH_NONCE_SIZE],
			 const uint8_t nonce[DAXMR_AUTH_NONCE_SIZE],
			 uint8_t proof[DAXMR_AUTH_PROOF_SIZE])
{
	const char *label = role == DAXMR_AUTH_SERVER ? AUTH_SERVER_LABEL_ID : AUTH_CLIENT_LABEL_ID;
	uint8_t v[2] = { (uint8_t)(version & 0xff), (uint8_t)(version >> 8) };
	uint8_t n = (uint8_t)strnlen(identity, DAXMR_AUTH_IDENTITY_MAX);
	crypto_auth_hmacsha512256_state st;

	crypto_auth_hmacsha512256_init(&st, key->bytes, sizeof(key->bytes));
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)label, strlen(label));
	crypto_auth_hmacsha512256_update(&st, v, sizeof(v));
	crypto_auth_hmacsha512256_update(&st, challenge, DAXMR_AUTH_NONCE_SIZE);
	crypto_auth_hmacsha512256_update(&st, nonce, DAXMR_AUTH_NONCE_SIZE);
	/* the length first: "ab" + "c..." can never hash like "a" + "bc..." */
	crypto_auth_hmacsha512256_update(&st, &n, 1);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)identity, n);
	crypto_auth_hmacsha512256_final(&st, proof);
	sodium_memzero(&st, sizeof(st));
}

/* As daxmr_auth_verify, for the version-4 proof. */
bool daxmr_auth_verify_id(const struct daxmr_auth_key *key, enum daxmr_auth_role role,
			  uint16_t version, const char *identity,
			  const uint8_t challenge[DAXMR_AUTH_NONCE_SIZE],
			  const uint8_t nonce[DAXMR_AUTH_NONCE_SIZE],
			  const uint8_t proof[DAXMR_AUTH_PROOF_SIZE])
{
	uint8_t want[DAXMR_AUTH_PROOF_SIZE];
	bool ok;

	daxmr_auth_proof_id(key, role, version, identity, challenge, nonce, want);
	ok = crypto_verify_32(want, proof) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

/* A conservative alphabet: names land in logs, metrics labels and file names. */
bool daxmr_auth_identity_valid(const char *name)
{
	size_t n = strnlen(name, DAXMR_AUTH_IDENTITY_MAX + 1);

	if (n == 0 || n > DAXMR_AUTH_IDENTITY_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '@' || c == '-'))
			return false;
	}
	return true;
}

/* qsort/bsearch order of identities: by name. */
static int auth_identity_cmp(const void *a, const void *b)
{
	return strcmp(((const struct daxmr_auth_identity *)a)->name,
		      ((const struct daxmr_auth_identity *)b)->name);
}

/* Checks the directory itself: a directory nobody but its owner may add a key to. */
static int auth_keys_dir_check(int dfd, const char *dir, char *why, size_t why_size)
{
	struct stat st;
	int ret;

	if (fstat(dfd, &st)) {
		ret = -errno;
		return auth_fail(ret, why, why_size, dir, "fstat: %s", daxmr_log_strerror(ret));
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return auth_fail(-EPERM, why, why_size, dir,
				 "mode %04o: others could add a key: chmod go-w it",
				 (unsigned int)(st.st_mode & 07777));
	return 0;
}

/* Adds the identity of one directory entry to ids (grown as needed). */
static int auth_keyring_add(const char *dir, const char *name, struct daxmr_auth_keyring *ring,
			    size_t *cap, char *why, size_t why_size)
{
	struct daxmr_auth_identity *grown;
	char path[4096];
	int ret;

	if (!daxmr_auth_identity_valid(name))
		return auth_fail(-EINVAL, why, why_size, dir,
				 "'%.80s': not an identity name (1-%d of A-Z a-z 0-9 . _ @ -)",
				 name, DAXMR_AUTH_IDENTITY_MAX);
	if (ring->n == DAXMR_AUTH_KEYS_MAX)
		return auth_fail(-E2BIG, why, why_size, dir, "more than %d keys",
				 DAXMR_AUTH_KEYS_MAX);
	if (ring->n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;

		grown = reallocarray(ring->ids, c, sizeof(*grown));
		if (!grown)
			return auth_fail(-ENOMEM, why, why_size, dir, "out of memory");
		ring->ids = grown;
		*cap = c;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return auth_fail(-ENAMETOOLONG, why, why_size, dir, "path too long");
	snprintf(ring->ids[ring->n].name, sizeof(ring->ids[ring->n].name), "%s", name);
	ret = daxmr_auth_key_load(path, &ring->ids[ring->n].key, why, why_size);
	if (ret)
		return ret;
	ring->n++;
	return 0;
}

/* Reads every entry; the checks of each key file are daxmr_auth_key_load's. */
int daxmr_auth_keyring_load(const char *dir, struct daxmr_auth_keyring *ring, char *why,
			    size_t why_size)
{
	struct daxmr_auth_keyring r = { NULL, 0 };
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int ret;

	d = opendir(dir);
	if (!d) {
		ret = -errno;
		return auth_fail(ret, why, why_size, dir, "opendir: %s", daxmr_log_strerror(ret));
	}
	ret = auth_keys_dir_check(dirfd(d), dir, why, why_size);
	while (!ret) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			ret = -errno;
			if (ret)
				auth_fail(ret, why, why_size, dir, "readdir: %s",
					  daxmr_log_strerror(ret));
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		ret = auth_keyring_add(dir, de->d_name, &r, &cap, why, why_size);
	}
	closedir(d);
	if (ret) {
		daxmr_auth_keyring_free(&r);
		return ret;
	}
	if (r.n)
		qsort(r.ids, r.n, sizeof(*r.ids), auth_identity_cmp);
	*ring = r;
	return 0;
}

/* Binary search: the ring is sorted by name. */
const struct daxmr_auth_identity *daxmr_auth_keyring_find(const struct daxmr_auth_keyring *ring,
							  const char *name)
{
	struct daxmr_auth_identity want = { .name = "" }; /* the key is not compared */

	if (!ring || !ring->n || !daxmr_auth_identity_valid(name))
		return NULL;
	snprintf(want.name, sizeof(want.name), "%s", name);
	return bsearch(&want, ring->ids, ring->n, sizeof(*ring->ids), auth_identity_cmp);
}

/* Keys are wiped before the memory goes back. */
void daxmr_auth_keyring_free(struct daxmr_auth_keyring *ring)
{
	if (!ring)
		return;
	if (ring->ids)
		sodium_memzero(ring->ids, ring->n * sizeof(*ring->ids));
	free(ring->ids);
	ring->ids = NULL;
	ring->n = 0;
}

/* sodium_memzero, which the compiler may not drop as a dead store. */
void daxmr_auth_key_wipe(struct daxmr_auth_key *key)
{
	sodium_memzero(key, sizeof(*key));
}
