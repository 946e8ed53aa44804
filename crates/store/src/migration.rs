//! One append-only migration set for SQLite and PostgreSQL. Never edit a shipped migration:
//! add a new one.

use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_portal;
mod m0003_writes;
mod m0004_accounts;
mod m0005_statuses;
mod m0007_list_indexes;
mod m0008_desk;
mod m0009_queues;
mod m0010_agent_bench_indexes;
mod m0011_admin;
mod m0012_catalog;
mod m0013_priorities_sla;
mod m0014_people;
mod m0015_templates;
mod m0016_rules;
mod m0017_settings;
mod m0018_mail;
mod m0019_sla;
mod m0021_kb;
mod m0022_search;
mod m0023_search_subject;
mod m0024_people_search;
mod m0025_people_search_sqlite;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_portal::Migration),
            Box::new(m0003_writes::Migration),
            Box::new(m0004_accounts::Migration),
            Box::new(m0005_statuses::Migration),
            Box::new(m0007_list_indexes::Migration),
            Box::new(m0008_desk::Migration),
            Box::new(m0009_queues::Migration),
            Box::new(m0010_agent_bench_indexes::Migration),
            Box::new(m0011_admin::Migration),
            Box::new(m0012_catalog::Migration),
            Box::new(m0013_priorities_sla::Migration),
            Box::new(m0014_people::Migration),
            Box::new(m0015_templates::Migration),
            Box::new(m0016_rules::Migration),
            Box::new(m0017_settings::Migration),
            Box::new(m0018_mail::Migration),
            Box::new(m0019_sla::Migration),
            Box::new(m0021_kb::Migration),
            Box::new(m0022_search::Migration),
            Box::new(m0023_search_subject::Migration),
            Box::new(m0024_people_search::Migration),
            Box::new(m0025_people_search_sqlite::Migration),
        ]
    }
}
