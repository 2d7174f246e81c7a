/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: every body the agent decodes (the control plane's replies). */
#include "fuzz_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_wire_one(fuzz_wire_agent_types, ARRAY_SIZE(fuzz_wire_agent_types), data, size);
	return 0;
}
