//! The compact JWS decoder, the header's `jwk` and the signature check with it.
//! Run: `scripts/fuzz.sh SECONDS`, or `RUSTC_BOOTSTRAP=1 cargo fuzz run jws` from the
//! repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    auth0_api::fuzzing::jws(data);
});
