/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_cm.c -- libFuzzer target: the rdma_cm private data decoder FUZZ_CM names at build time */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define CM_CAT(a, b, c) a##b##c
#define CM_NAME(a, b, c) CM_CAT(a, b, c)
#define CM_STRUCT struct CM_NAME(daxmr_proto_cm_, FUZZ_CM, )
#define CM_DECODE CM_NAME(daxmr_proto_cm_, FUZZ_CM, _decode)
#define CM_ENCODE CM_NAME(daxmr_proto_cm_, FUZZ_CM, _encode)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes data as private data; an accepted one must re-encode to the bytes it came from. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[DAXMR_PROTO_CM_ACCEPT_LIMIT];
	CM_STRUCT cm;
	int ret;

	if (CM_DECODE(data, size, &cm) < 0)
		return 0;
	ret = CM_ENCODE(&cm, out, sizeof(out));
	if (ret <= 0 || (size_t)ret > size || memcmp(out, data, (size_t)ret))
		abort();
	return 0;
}
