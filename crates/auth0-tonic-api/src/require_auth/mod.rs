//! [`RequireAuthLayer`]: a tower layer that refuses gRPC calls without a valid access token
//! (and, optionally, without the required scopes or permissions, per layer and per method).

mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::RequireAuthLayer;
pub use service::RequireAuth;
