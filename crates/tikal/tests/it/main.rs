//! The one integration-test binary: the real server on a random port with a fresh database
//! (SQLite, or PostgreSQL when TIKAL_TEST_PG is set).

mod abuse;
mod accounts;
mod admin;
mod admin_catalog;
mod admin_config;
mod admin_config_catalog;
mod admin_config_rest;
mod admin_config_sla;
mod admin_people;
mod admin_priorities;
mod admin_rules;
mod admin_settings;
mod admin_templates;
mod agent_desk;
mod agent_desk2;
mod agent_pages;
mod agent_queue;
mod api_errors;
mod api_tickets;
mod authorization;
mod bench_seed;
mod binary;
mod desk;
mod mail;
mod mail_accounts;
mod mail_intake;
mod mail_notify;
mod operations;
mod outbox;
mod outbox_admin;
mod portal;
mod queues;
mod statuses;
mod store_batch;
mod writes;
