//! Integration tests, one binary: real SQLite files, the real router over real HTTP and
//! WebSockets, and the real `vitrine` binary where a test kills it.

mod binary;
mod common;
mod yclient;

mod auth;
mod collab;
mod collab_limits;
mod commerce;
mod convergence;
mod durability;
mod edge;
mod fuzz_sync;
mod history;
mod hostile_drafts;
mod lifecycle;
mod metrics;
mod migrations;
mod pages;
mod preview;
mod publish;
mod replicas;
mod schedule;
mod storefront;
mod tenancy;
mod xss;
