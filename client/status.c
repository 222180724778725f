/* SPDX-License-Identifier: BSD-3-Clause */
/* status.c -- libdaxmr: the one place wire statuses become errno values */
#include "status.h"

#include <errno.h>

/* The negative errno a reply status means to a libdaxmr caller. */
int daxmr_status_errno(enum daxmr_proto_status status)
{
	switch (status) {
	case DAXMR_PROTO_STATUS_OK:
		return 0;
	case DAXMR_PROTO_STATUS_NO_SUCH_EXPORT:
		return -ENOENT;
	case DAXMR_PROTO_STATUS_ACCESS_DENIED:
		return -EACCES;
	case DAXMR_PROTO_STATUS_NOT_OPEN:
		return -EBADF;
	case DAXMR_PROTO_STATUS_STALE_GENERATION:
		return -ESTALE;
	case DAXMR_PROTO_STATUS_REVOKING:
		return -EAGAIN;
	case DAXMR_PROTO_STATUS_UNAVAILABLE: /* version >= 3: down, and retrying will not help */
		return -ENODEV;
	case DAXMR_PROTO_STATUS_OUT_OF_RANGE:
		return -ERANGE;
	case DAXMR_PROTO_STATUS_BUSY:
		return -EBUSY;
	case DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION:
		return -EPROTONOSUPPORT;
	case DAXMR_PROTO_STATUS_INTERNAL:
		return -EIO;
	case DAXMR_PROTO_STATUS_BAD_MESSAGE:
	case DAXMR_PROTO_STATUS_UNKNOWN_OPCODE:
	case DAXMR_PROTO_STATUS_BAD_STATE:
		return -EPROTO;
	}
	return -EPROTO; /* a status outside the enum: the decoder should have refused it */
}
