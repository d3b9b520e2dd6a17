//! One module per use case.

pub mod authenticate;
pub mod create_agent;
pub mod create_campaign;
pub mod demo;
pub mod init_workspace;
pub mod register_mailbox;
