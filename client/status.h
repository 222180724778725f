/* SPDX-License-Identifier: BSD-3-Clause */
/* status.h -- libdaxmr: the one place wire statuses become errno values */
#ifndef DAXMR_CLIENT_STATUS_H
#define DAXMR_CLIENT_STATUS_H

#include "proto.h"

/*
 * The negative errno a reply status means to a libdaxmr caller (0 for OK):
 * NO_SUCH_EXPORT -ENOENT, ACCESS_DENIED -EACCES, NOT_OPEN -EBADF, STALE_GENERATION -ESTALE,
 * REVOKING -EAGAIN, OUT_OF_RANGE -ERANGE, BUSY -EBUSY, UNSUPPORTED_VERSION -EPROTONOSUPPORT,
 * INTERNAL -EIO, BAD_MESSAGE / UNKNOWN_OPCODE / BAD_STATE / anything else -EPROTO.
 */
int daxmr_status_errno(enum daxmr_proto_status status);

#endif /* DAXMR_CLIENT_STATUS_H */
