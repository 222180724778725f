/* SPDX-License-Identifier: BSD-3-Clause */
/* proto.h -- daxmr wire protocol: message structs and their encoders/decoders (docs/protocol.md) */
#ifndef DAXMR_PROTO_H
#define DAXMR_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DAXMR_PROTO_MAGIC 0x524d5844u /* the bytes "DXMR" read as a little-endian u32 */
#define DAXMR_PROTO_VERSION_MIN 1     /* oldest version this build speaks */
#define DAXMR_PROTO_VERSION_MAX 4     /* newest version daxmrd speaks */
/* Newest version libdaxmr offers: version 4 (identities) on top of segments. */
#define DAXMR_PROTO_VERSION_CLIENT_MAX 4
#define DAXMR_PROTO_VERSION_AUTH 2 /* first version with AUTH and HELLO reply flag AUTH */
#define DAXMR_PROTO_VERSION_SEG 3  /* first version with segments, KEYS, reasons, UNAVAILABLE */
#define DAXMR_PROTO_VERSION_ID 4   /* first version with identities in AUTH, reject reasons */
/* Newest version the encoders and decoders know. */
#define DAXMR_PROTO_VERSION_CODEC_MAX 4

#define DAXMR_PROTO_HDR_SIZE 24
#define DAXMR_PROTO_MSG_MAX 4096     /* header + payload; every receive buffer is this big */
#define DAXMR_PROTO_NAME_MAX 255     /* bytes in a name, without the NUL of the decoded copy */
#define DAXMR_PROTO_LIST_MAX 14	     /* LIST reply entries: 14 maximal entries fit in one message */
#define DAXMR_PROTO_KEYS_MAX 1000    /* segment keys in one OPEN or KEYS reply (version >= 3) */
#define DAXMR_PROTO_REASON_MAX 255   /* bytes of a reason on a failed reply (version >= 3) */
#define DAXMR_PROTO_SEG_SHIFT_MIN 12 /* segments are at least 4 KiB ... */
#define DAXMR_PROTO_SEG_SHIFT_MAX 63 /* ... and at most 2^63 bytes */

/* rdma_cm private data: what daxmr writes, and what rdma_cm can carry (KERNEL-FACTS.md) */
#define DAXMR_PROTO_CM_CONNECT_SIZE 8
#define DAXMR_PROTO_CM_ACCEPT_SIZE 8
#define DAXMR_PROTO_CM_REJECT_SIZE 10
#define DAXMR_PROTO_CM_CONNECT_LIMIT 56
#define DAXMR_PROTO_CM_ACCEPT_LIMIT 196
#define DAXMR_PROTO_CM_REJECT_LIMIT 148 /* IB_CM_REJ_PRIVATE_DATA_SIZE, include/rdma/ib_cm.h */
/* A reject's optional reason (after the 10 bytes, u16 n + n bytes) fills the rest of the limit. */
#define DAXMR_PROTO_CM_REASON_MAX (DAXMR_PROTO_CM_REJECT_LIMIT - DAXMR_PROTO_CM_REJECT_SIZE - 2)

/* Authentication (version 2, docs/protocol.md section 7): sizes of the opaque byte strings */
#define DAXMR_PROTO_AUTH_CHALLENGE_SIZE 32 /* the server's, in the HELLO reply */
#define DAXMR_PROTO_AUTH_NONCE_SIZE 32	   /* the client's, in AUTH */
#define DAXMR_PROTO_AUTH_PROOF_SIZE 32	   /* an HMAC-SHA-512-256, in AUTH and its reply */

/*
 * Header opcodes. AUTH is known only in version >= DAXMR_PROTO_VERSION_AUTH; 0x0011-0x001f are
 * reserved for authentication and unknown in every version.
 */
enum daxmr_proto_opcode {
	DAXMR_PROTO_OP_HELLO = 1,
	DAXMR_PROTO_OP_LIST = 2,
	DAXMR_PROTO_OP_OPEN = 3,
	DAXMR_PROTO_OP_CLOSE = 4,
	DAXMR_PROTO_OP_FLUSH = 5,
	DAXMR_PROTO_OP_REVOKE = 6,
	DAXMR_PROTO_OP_REVOKE_ACK = 7,
	DAXMR_PROTO_OP_ERROR = 8,
	DAXMR_PROTO_OP_AVAILABLE = 9, /* server to client: an export is back, as a new generation */
	DAXMR_PROTO_OP_KEYS = 10,     /* client to server, version >= 3: more segment keys */
	DAXMR_PROTO_OP_AUTH = 0x0010, /* client to server, version >= 2: proves the secret */
};

/* Wire status codes: their own numbering, never an errno. */
enum daxmr_proto_status {
	DAXMR_PROTO_STATUS_OK = 0,
	DAXMR_PROTO_STATUS_BAD_MESSAGE = 1,
	DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION = 2,
	DAXMR_PROTO_STATUS_UNKNOWN_OPCODE = 3,
	DAXMR_PROTO_STATUS_BAD_STATE = 4,
	DAXMR_PROTO_STATUS_NO_SUCH_EXPORT = 5,
	DAXMR_PROTO_STATUS_ACCESS_DENIED = 6,
	DAXMR_PROTO_STATUS_NOT_OPEN = 7,
	DAXMR_PROTO_STATUS_STALE_GENERATION = 8,
	DAXMR_PROTO_STATUS_REVOKING = 9,
	DAXMR_PROTO_STATUS_OUT_OF_RANGE = 10,
	DAXMR_PROTO_STATUS_BUSY = 11,
	DAXMR_PROTO_STATUS_INTERNAL = 12,
	DAXMR_PROTO_STATUS_UNAVAILABLE = 13, /* version >= 3: down until the server side changes */
};

#define DAXMR_PROTO_F_REPLY 0x0001u	 /* header flags: this message answers request_id */
#define DAXMR_PROTO_LIST_F_MORE 0x0001u	 /* LIST reply flags: exports after this page exist */
#define DAXMR_PROTO_HELLO_F_AUTH 0x0001u /* HELLO reply flags, version >= 2: AUTH required */
#define DAXMR_PROTO_DESC_F_ATOMIC 0x01u	 /* descriptor flags, version >= 3: keys allow atomics */

enum daxmr_proto_access {
	DAXMR_PROTO_ACCESS_RO = 1,
	DAXMR_PROTO_ACCESS_RW = 2,
};

enum daxmr_proto_memory {
	DAXMR_PROTO_MEMORY_FSDAX = 1,
	DAXMR_PROTO_MEMORY_DEVDAX = 2,
	DAXMR_PROTO_MEMORY_PAGECACHE = 3,
};

enum daxmr_proto_registration {
	DAXMR_PROTO_REG_PINNED = 1,
	DAXMR_PROTO_REG_ODP = 2,
};

enum daxmr_proto_key_kind {
	DAXMR_PROTO_KEY_MR = 1, /* the export's memory region key, shared by its clients */
	DAXMR_PROTO_KEY_MW = 2, /* a memory window bound for this connection's QP only */
};

enum daxmr_proto_revoke_reason {
	DAXMR_PROTO_REVOKE_LEASE_BREAK = 1,
	DAXMR_PROTO_REVOKE_SHUTDOWN = 2,
	DAXMR_PROTO_REVOKE_ADMIN = 3,
	DAXMR_PROTO_REVOKE_ERROR = 4,
};

/* The fixed header; the magic is implied. */
struct daxmr_proto_hdr {
	uint16_t version;
	enum daxmr_proto_opcode opcode;
	uint32_t length; /* payload bytes; set by daxmr_proto_msg_encode, ignored as input */
	enum daxmr_proto_status status;
	uint16_t flags; /* DAXMR_PROTO_F_* */
	uint64_t request_id;
};

/* HELLO request: the client's version range (must contain the header version) and name. */
struct daxmr_proto_hello {
	uint16_t version_min;
	uint16_t version_max;
	uint16_t flags; /* none defined: must be 0 */
	char name[DAXMR_PROTO_NAME_MAX + 1];
};

/* HELLO reply; challenge is on the wire only with DAXMR_PROTO_HELLO_F_AUTH (else decoded 0). */
struct daxmr_proto_hello_reply {
	uint16_t version; /* equals the header version */
	uint16_t flags;	  /* DAXMR_PROTO_HELLO_F_*; AUTH only in version >= 2 */
	uint8_t challenge[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	char name[DAXMR_PROTO_NAME_MAX + 1];
};

/* LIST request: the index of the first export wanted. */
struct daxmr_proto_list {
	uint32_t start;
};

/* One LIST reply entry. */
struct daxmr_proto_export {
	uint32_t export_id;
	uint64_t generation;
	uint64_t length;
	enum daxmr_proto_access access;
	enum daxmr_proto_memory memory;
	enum daxmr_proto_registration registration;
	char name[DAXMR_PROTO_NAME_MAX + 1];
};

/* LIST reply: exports start .. start + count - 1. */
struct daxmr_proto_list_reply {
	uint32_t start;
	uint16_t count;
	uint16_t flags; /* DAXMR_PROTO_LIST_F_* */
	struct daxmr_proto_export entries[DAXMR_PROTO_LIST_MAX];
};

/* OPEN request. */
struct daxmr_proto_open {
	enum daxmr_proto_access access;
	char name[DAXMR_PROTO_NAME_MAX + 1];
};

/*
 * OPEN reply: the descriptor for one-sided access to [addr, addr + length) with rkey. From
 * version 3 the export is cut into nseg segments of 2^seg_shift bytes (the last may be
 * shorter), each with its own key; keys[0..nkeys) are the first nkeys of them (KEYS fetches
 * the rest) and rkey equals keys[0]. In versions 1 and 2 these fields are not on the wire and
 * decode as 0.
 */
struct daxmr_proto_desc {
	uint32_t export_id;
	uint64_t generation;
	uint64_t addr;
	uint64_t length;
	uint32_t rkey;
	uint32_t persist_granularity; /* 0: byte granular; else the power of two FLUSH rounds to */
	enum daxmr_proto_access access;
	enum daxmr_proto_memory memory;
	enum daxmr_proto_registration registration;
	enum daxmr_proto_key_kind key_kind;
	uint8_t seg_shift; /* version >= 3 */
	uint8_t flags;	   /* version >= 3: DAXMR_PROTO_DESC_F_* */
	uint32_t nseg;	   /* version >= 3: ceil(length / 2^seg_shift) */
	uint16_t nkeys;	   /* version >= 3: 1 .. min(nseg, DAXMR_PROTO_KEYS_MAX) */
	uint32_t keys[DAXMR_PROTO_KEYS_MAX];
};

/* KEYS request (version >= 3): the keys of segments first, first + 1, ... of a descriptor. */
struct daxmr_proto_keys {
	uint32_t export_id;
	uint64_t generation;
	uint32_t first;
};

/* KEYS reply: count keys, of segments first .. first + count - 1. */
struct daxmr_proto_keys_reply {
	uint32_t first;
	uint16_t count; /* 1 .. DAXMR_PROTO_KEYS_MAX */
	uint32_t keys[DAXMR_PROTO_KEYS_MAX];
};

/* CLOSE request and REVOKE_ACK: one descriptor. */
struct daxmr_proto_export_ref {
	uint32_t export_id;
	uint64_t generation;
};

/* FLUSH request: make [offset, offset + length) of the export persistent. */
struct daxmr_proto_flush {
	uint32_t export_id;
	uint64_t generation;
	uint64_t offset;
	uint64_t length;
};

/* REVOKE (server to client): stop using the descriptor and acknowledge within deadline_ms. */
struct daxmr_proto_revoke {
	uint32_t export_id;
	uint64_t generation;
	uint32_t deadline_ms;
	enum daxmr_proto_revoke_reason reason;
};

/*
 * AUTH request: the client's fresh nonce and its proof over challenge and nonce; from version 4
 * also the identity whose key made the proof ("": the anonymous identity, the server's secret).
 */
struct daxmr_proto_auth {
	uint8_t nonce[DAXMR_PROTO_AUTH_NONCE_SIZE];
	uint8_t proof[DAXMR_PROTO_AUTH_PROOF_SIZE];
	char identity[DAXMR_PROTO_NAME_MAX + 1]; /* version >= 4; "" on the wire before it */
};

/* AUTH reply (OK only): the server's proof over the same challenge and nonce. */
struct daxmr_proto_auth_reply {
	uint8_t proof[DAXMR_PROTO_AUTH_PROOF_SIZE];
};

/*
 * A whole message. The payload member in use follows from the header:
 *   status != OK (any reply, and ERROR)   none
 *   HELLO        hello       | reply: hello_reply
 *   LIST         list        | reply: list_reply
 *   OPEN         open        | reply: desc
 *   CLOSE        close       | reply: none
 *   FLUSH        flush       | reply: none
 *   REVOKE       revoke      (never a reply)
 *   REVOKE_ACK   revoke_ack  (never a reply)
 *   AVAILABLE    available   (never a reply)
 *   AUTH         auth        | reply: auth_reply (version >= 2 only)
 *   KEYS         keys        | reply: keys_reply (version >= 3 only)
 */
struct daxmr_proto_msg {
	struct daxmr_proto_hdr hdr;
	/*
	 * A reply or ERROR whose status is not OK, version >= 3: why, in words; "" for none (then
	 * nothing is on the wire). It is that reply's whole payload. Versions 1, 2: always "".
	 */
	char reason[DAXMR_PROTO_REASON_MAX + 1];
	union {
		struct daxmr_proto_hello hello;
		struct daxmr_proto_hello_reply hello_reply;
		struct daxmr_proto_list list;
		struct daxmr_proto_list_reply list_reply;
		struct daxmr_proto_open open;
		struct daxmr_proto_desc desc;
		struct daxmr_proto_export_ref close;
		struct daxmr_proto_flush flush;
		struct daxmr_proto_revoke revoke;
		struct daxmr_proto_export_ref revoke_ack;
		struct daxmr_proto_export_ref available;
		struct daxmr_proto_auth auth;
		struct daxmr_proto_auth_reply auth_reply;
		struct daxmr_proto_keys keys;
		struct daxmr_proto_keys_reply keys_reply;
	};
};

/* rdma_connect private data: the client's version range. */
struct daxmr_proto_cm_connect {
	uint16_t version_min;
	uint16_t version_max;
};

/* rdma_accept private data: the chosen version and how many requests may be outstanding. */
struct daxmr_proto_cm_accept {
	uint16_t version;
	uint16_t credits;
};

/* rdma_reject private data: why, and the server's version range. */
struct daxmr_proto_cm_reject {
	enum daxmr_proto_status status; /* never OK */
	uint16_t version_min;
	uint16_t version_max;
	/* optional (a version-4 server's): why, in words for people; "" for none */
	char reason[DAXMR_PROTO_CM_REASON_MAX + 1];
};

/*
 * Encodes a whole message (header + payload) into buf. Returns the bytes written,
 * -EINVAL if msg breaks a rule of docs/protocol.md, -ENOBUFS if len is too small.
 */
int daxmr_proto_msg_encode(const struct daxmr_proto_msg *msg, void *buf, size_t len);

/*
 * Decodes and validates the one message in buf (len: the receive's byte count). Returns 0,
 * -EBADMSG (truncated, trailing bytes, bad field), -EPROTO (bad magic, flags, status),
 * -EPROTONOSUPPORT (version), -EOPNOTSUPP (opcode unknown, or AUTH in a version-1 header),
 * -EMSGSIZE (over DAXMR_PROTO_MSG_MAX), -ERANGE (FLUSH range wraps). *msg is written only
 * on success.
 */
int daxmr_proto_msg_decode(const void *buf, size_t len, struct daxmr_proto_msg *msg);

/*
 * Decodes and validates only the header of the message in buf, with the errors of
 * daxmr_proto_msg_decode: lets a receiver answer a message whose payload is bad.
 */
int daxmr_proto_hdr_decode(const void *buf, size_t len, struct daxmr_proto_hdr *hdr);

/*
 * Whether name may go on the wire (export, client and server names): 1..DAXMR_PROTO_NAME_MAX
 * bytes, all printable ASCII but space. The one check of names for decoders and both sides.
 */
bool daxmr_proto_name_valid(const char *name);

/* The wire status that answers a decode error (BAD_MESSAGE unless more specific). */
enum daxmr_proto_status daxmr_proto_status_from_err(int err);

/* The highest version in [min, max] this build speaks, or -EPROTONOSUPPORT. */
int daxmr_proto_version_pick(uint16_t version_min, uint16_t version_max);

/* Encodes rdma_connect private data; returns DAXMR_PROTO_CM_CONNECT_SIZE, -EINVAL, -ENOBUFS. */
int daxmr_proto_cm_connect_encode(const struct daxmr_proto_cm_connect *cm, void *buf, size_t len);

/* Decodes rdma_connect private data; bytes past its size (rdma_cm pads) are ignored. */
int daxmr_proto_cm_connect_decode(const void *buf, size_t len, struct daxmr_proto_cm_connect *cm);

/* Encodes rdma_accept private data; returns DAXMR_PROTO_CM_ACCEPT_SIZE, -EINVAL, -ENOBUFS. */
int daxmr_proto_cm_accept_encode(const struct daxmr_proto_cm_accept *cm, void *buf, size_t len);

/* Decodes rdma_accept private data; -EPROTONOSUPPORT if the version is not one we speak. */
int daxmr_proto_cm_accept_decode(const void *buf, size_t len, struct daxmr_proto_cm_accept *cm);

/*
 * Encodes rdma_reject private data; returns DAXMR_PROTO_CM_REJECT_SIZE (+ 2 + the reason's
 * length when it has one), -EINVAL, -ENOBUFS.
 */
int daxmr_proto_cm_reject_encode(const struct daxmr_proto_cm_reject *cm, void *buf, size_t len);

/*
 * Decodes rdma_reject private data: the reason if its u16 count is not 0 (an older server's
 * padding reads as none), bytes past it are ignored.
 */
int daxmr_proto_cm_reject_decode(const void *buf, size_t len, struct daxmr_proto_cm_reject *cm);

/* "OK", "BAD_MESSAGE", ...; "UNKNOWN" for a value outside the enum. Never NULL. */
const char *daxmr_proto_status_str(enum daxmr_proto_status status);

/* "HELLO", "LIST", ..., "AUTH"; "UNKNOWN" for a value outside the enum. Never NULL. */
const char *daxmr_proto_opcode_str(enum daxmr_proto_opcode opcode);

#endif /* DAXMR_PROTO_H */
