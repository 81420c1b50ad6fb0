//! The HTTP API, over a real socket, against both backends. One test
//! binary (one link step); one module per area.

mod helpers;

mod cli;
mod conventions;
mod credentials;
mod dashboard;
mod doors;
mod exports;
mod invitations;
mod kisi_client;
mod logins;
mod members;
mod organization;
mod permissions;
mod places;
mod scale_out;
