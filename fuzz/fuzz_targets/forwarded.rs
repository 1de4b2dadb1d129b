//! The request URL from `Forwarded`, `X-Forwarded-*`, `Host` and the request target.
//! Run: `scripts/fuzz.sh SECONDS`, or `RUSTC_BOOTSTRAP=1 cargo fuzz run forwarded` from the
//! repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    auth0_api::fuzzing::forwarded(data);
});
