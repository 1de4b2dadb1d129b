//! Integration tests of auth0-api, in one binary.

mod exchange;
