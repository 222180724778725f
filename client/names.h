/* SPDX-License-Identifier: BSD-3-Clause */
/* names.h -- libdaxmr: the words its enums are printed as ("rw", "fs-dax", "lease-break", ...) */
#ifndef DAXMR_CLIENT_NAMES_H
#define DAXMR_CLIENT_NAMES_H

/*
 * daxmr_access_str, daxmr_memory_str, daxmr_registration_str and daxmr_revoke_reason_str are
 * public: daxmr.h declares them (each returns "unknown" for a value outside its enum, never
 * NULL). This module defines them and nothing else.
 */
#include "daxmr.h"

#endif /* DAXMR_CLIENT_NAMES_H */
