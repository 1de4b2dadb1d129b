//! A DPoP proof: the `DPoP` header value checked in full, and fuzzed claims behind a valid
//! signature.
//! Run: `scripts/fuzz.sh SECONDS`, or `RUSTC_BOOTSTRAP=1 cargo fuzz run dpop_proof` from the
//! repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    auth0_api::fuzzing::dpop_proof(data);
});
