//! A JWKS document (and its `Cache-Control`) as served by the issuer, through the key cache
//! and a token check.
//! Run: `scripts/fuzz.sh SECONDS`, or `RUSTC_BOOTSTRAP=1 cargo fuzz run jwks` from the
//! repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    auth0_api::fuzzing::jwks(data);
});
