//! A discovery document (OpenID Connect, RFC 8414) as served by the issuer, through key
//! loading and a token check.
//! Run: `scripts/fuzz.sh SECONDS`, or `RUSTC_BOOTSTRAP=1 cargo fuzz run discovery` from the
//! repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    auth0_api::fuzzing::discovery(data);
});
