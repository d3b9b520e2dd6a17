//! One module per use case.

pub mod create_campaign;
