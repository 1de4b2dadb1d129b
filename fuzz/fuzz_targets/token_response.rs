//! A token endpoint's response: a 200 body or a refusal.
//! Run: `scripts/fuzz.sh SECONDS`, or `RUSTC_BOOTSTRAP=1 cargo fuzz run token_response` from the
//! repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    auth0_api::fuzzing::token_response(data);
});
