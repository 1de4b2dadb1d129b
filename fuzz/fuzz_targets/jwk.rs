//! One JWK: parsing under several algorithm sets, the RFC 7638 thumbprint, a signature check.
//! Run: `scripts/fuzz.sh SECONDS`, or `RUSTC_BOOTSTRAP=1 cargo fuzz run jwk` from the
//! repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    auth0_api::fuzzing::jwk(data);
});
