//! [`RequireAuthLayer`]: a tower layer that refuses requests without a valid access token
//! (and, optionally, without the required scopes or permissions).

mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::RequireAuthLayer;
pub use service::RequireAuth;
