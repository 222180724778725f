/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_msg.c -- libFuzzer target: daxmr_proto_msg_decode and daxmr_proto_hdr_decode on any bytes */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Decodes data as one received message. Besides the sanitizers, checks two properties:
 * the header decoder agrees with the message decoder, and re-encoding an accepted message
 * gives back exactly the bytes received (the encoding is canonical).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daxmr_proto_msg msg;
	static uint8_t out[DAXMR_PROTO_MSG_MAX];
	struct daxmr_proto_hdr hdr;
	int hdr_ret = daxmr_proto_hdr_decode(data, size, &hdr);
	int ret = daxmr_proto_msg_decode(data, size, &msg);

	if (hdr_ret < 0 && ret != hdr_ret)
		abort();
	if (ret < 0)
		return 0;
	if (hdr_ret < 0 || hdr.request_id != msg.hdr.request_id || hdr.length != msg.hdr.length)
		abort();
	if (daxmr_proto_msg_encode(&msg, out, sizeof(out)) != (int)size || memcmp(out, data, size))
		abort();
	return 0;
}
