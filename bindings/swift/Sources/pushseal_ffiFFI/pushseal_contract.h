// Plain C symbols the Swift layer reads before any uniffi-generated code runs:
// a mismatch found by uniffi's own check is a fatalError in Swift.
#pragma once
#include <stdint.h>

// pushseal's contract version (bindings/ffi/src/contract.rs).
uint32_t pushseal_ffi_contract_version(void);
