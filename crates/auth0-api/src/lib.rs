//! Core of auth0-rs (work in progress).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod time;

pub use time::{Clock, SystemClock, UnixTime};
