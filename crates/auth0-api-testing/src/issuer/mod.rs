//! The in-process issuer: discovery, JWKS and token endpoint over real HTTP.

mod behavior;
mod builder;
mod server;
pub(crate) mod state;
mod test_issuer;
mod token_endpoint;

pub use behavior::{Behavior, Endpoint};
pub use builder::TestIssuerBuilder;
pub use test_issuer::TestIssuer;
pub use token_endpoint::{RecordedRequest, TokenResponse};
