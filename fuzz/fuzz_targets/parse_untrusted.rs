//! Every parser that sees request bytes: headers, compact JWS, JWK, htu, nonces.
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run parse_untrusted` (from the repository root).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    auth0_api::fuzzing::parse_untrusted(data);
});
