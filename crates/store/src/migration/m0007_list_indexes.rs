//! Indexes for lists and counts on a big desk (measured on a million tickets, bench/million.sh).
//!
//! `tickets (requester_id, status, id)`: a requester's open/closed tab counts are answered from
//! the index alone (no table rows read; on PostgreSQL an index-only scan), and a requester's
//! list in a state walks it in id order. Before it, the count of a requester with thousands of
//! tickets read every one of their rows.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_list_indexes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("tickets_requester_status_id")
                .table("tickets")
                .col("requester_id")
                .col("status")
                .col("id")
                .if_not_exists()
                .to_owned(),
        )
        .await
    }
}
