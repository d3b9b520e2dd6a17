//! Sendline's use cases and the ports they drive. Nothing here names a framework: adapters implement the
//! ports, the api crate calls the use cases.

pub mod key_cache;
pub mod ports;
pub mod rate_limiter;
pub mod tenancy;
pub mod use_cases;
