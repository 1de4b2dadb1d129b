//! Core of auth0-rs (work in progress).
#![cfg_attr(docsrs, feature(doc_cfg))]

// The verifier that calls these lands separately.
#[allow(dead_code)]
mod dpop {
    pub(crate) mod htu;
    pub(crate) mod nonce;
}
pub mod replay;
mod time;

pub use dpop::nonce::{NonceConfig, NonceConfigError};
pub use replay::{MemoryReplayStore, ReplayKey, ReplayStore, ReplayStoreError};
pub use time::{Clock, SystemClock, UnixTime};
