//! SeaORM entities: one per table, rows as stored. Repositories turn them into core types.

macro_rules! entity {
    ($module:ident, $table:literal, { $($(#[$fmeta:meta])* $field:ident : $ty:ty),+ $(,)? }) => {
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                $($(#[$fmeta])* pub $field: $ty),+
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(organisation, "organisations", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    domain: Option<String>,
    created_at: i64,
});

entity!(requester, "requesters", {
    #[sea_orm(primary_key)] id: i64,
    email: String,
    name: String,
    phone: Option<String>,
    organisation_id: Option<i64>,
    language: Option<String>,
    password_hash: Option<String>,
    created_at: i64,
    verification_pending: bool,
});

entity!(department, "departments", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    parent_id: Option<i64>,
    created_at: i64,
    manager_id: Option<i64>,
    email: Option<String>,
    sla_plan_id: Option<i64>,
    auto_assign: String,
    active: bool,
    assign_cursor: Option<i64>,
});

entity!(team, "teams", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    department_id: Option<i64>,
    active: bool,
});

entity!(team_member, "team_members", {
    #[sea_orm(primary_key, auto_increment = false)] team_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] agent_id: i64,
});

entity!(audit_log, "audit_log", {
    #[sea_orm(primary_key)] id: i64,
    at: i64,
    actor_kind: String,
    actor_id: Option<i64>,
    actor_name: String,
    action: String,
    entity: String,
    entity_id: String,
    summary: String,
    before: Option<String>,
    after: Option<String>,
});

entity!(help_topic, "help_topics", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    parent_id: Option<i64>,
    department_id: Option<i64>,
    default_priority: Option<i16>,
    default_type: Option<String>,
    active: bool,
    sort: i32,
    portal_visible: bool,
    sla_plan_id: Option<i64>,
    description: String,
});

entity!(custom_field, "custom_fields", {
    #[sea_orm(primary_key)] id: i64,
    key: String,
    label: String,
    kind: String,
    options: String,
    required: bool,
    help_topic_id: Option<i64>,
    sort: i32,
    label_es: String,
    label_en: String,
    help_es: String,
    help_en: String,
    required_for: String,
    active: bool,
});

entity!(agent, "agents", {
    #[sea_orm(primary_key)] id: i64,
    email: String,
    name: String,
    password_hash: Option<String>,
    is_admin: bool,
    active: bool,
    created_at: i64,
    away: bool,
});

entity!(role, "roles", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    permissions: String,
});

entity!(agent_department, "agent_departments", {
    #[sea_orm(primary_key, auto_increment = false)] agent_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] department_id: i64,
    role_id: i64,
});

entity!(ticket, "tickets", {
    #[sea_orm(primary_key)] id: i64,
    number: String,
    seq: i64,
    subject: String,
    requester_id: i64,
    channel: String,
    help_topic_id: Option<i64>,
    kind: String,
    department_id: i64,
    priority: i16,
    impact: Option<i16>,
    urgency: Option<i16>,
    status: String,
    owner_id: Option<i64>,
    responsible_id: Option<i64>,
    team_id: Option<i64>,
    custom_fields: String,
    time_estimate_minutes: Option<i32>,
    time_spent_minutes: i32,
    response_due_at: Option<i64>,
    resolution_due_at: Option<i64>,
    first_response_at: Option<i64>,
    resolution_approved: bool,
    resolution_confirmed: bool,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    version: i64,
    request_token: Option<String>,
    sla_next_at: Option<i64>,
    overdue: bool,
    reminded_at: Option<i64>,
});

entity!(collaborator, "ticket_collaborators", {
    #[sea_orm(primary_key)] id: i64,
    ticket_id: i64,
    agent_id: Option<i64>,
    requester_id: Option<i64>,
});

entity!(thread_entry, "thread_entries", {
    #[sea_orm(primary_key)] id: i64,
    ticket_id: i64,
    kind: String,
    author_kind: String,
    author_id: Option<i64>,
    author_name: Option<String>,
    body: Option<String>,
    event_kind: Option<String>,
    before_value: Option<String>,
    after_value: Option<String>,
    reason: Option<String>,
    created_at: i64,
});

entity!(time_entry, "time_entries", {
    #[sea_orm(primary_key)] id: i64,
    ticket_id: i64,
    agent_id: Option<i64>,
    minutes: i32,
    note: Option<String>,
    created_at: i64,
});

entity!(attachment, "attachments", {
    #[sea_orm(primary_key)] id: i64,
    ticket_id: i64,
    entry_id: Option<i64>,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    created_at: i64,
});

entity!(api_key, "api_keys", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    key_hash: String,
    revoked: bool,
    created_at: i64,
});

entity!(idempotency_key, "idempotency_keys", {
    #[sea_orm(primary_key)] id: i64,
    scope: String,
    key: String,
    request_hash: String,
    status_code: i32,
    response_body: String,
    location: Option<String>,
    created_at: i64,
    ticket_id: Option<i64>,
});

entity!(job, "jobs", {
    #[sea_orm(primary_key)] id: i64,
    kind: String,
    payload: String,
    run_at: i64,
    attempts: i32,
    locked_until: Option<i64>,
    last_error: Option<String>,
    done_at: Option<i64>,
    created_at: i64,
    lease_token: Option<String>,
    dead_at: Option<i64>,
});

entity!(session, "sessions", {
    #[sea_orm(primary_key, auto_increment = false)] id_hash: String,
    principal_kind: String,
    principal_id: i64,
    ticket_id: Option<i64>,
    csrf_token: String,
    created_at: i64,
    expires_at: i64,
    last_seen_at: i64,
});

entity!(access_token, "access_tokens", {
    #[sea_orm(primary_key, auto_increment = false)] token_hash: String,
    purpose: String,
    requester_id: i64,
    ticket_id: Option<i64>,
    expires_at: i64,
    used_at: Option<i64>,
    created_at: i64,
    password_hash: Option<String>,
    name: Option<String>,
    language: Option<String>,
});

entity!(login_attempt, "login_attempts", {
    #[sea_orm(primary_key)] id: i64,
    subject: String,
    at: i64,
});

entity!(status, "statuses", {
    #[sea_orm(primary_key, auto_increment = false)] key: String,
    category: String,
    awaits_requester: bool,
    name_es: String,
    name_en: String,
    position: i32,
    active: bool,
    created_at: i64,
});

// Priorities, ticket types, SLA plans and calendars (administration).

entity!(priority_level, "priority_levels", {
    #[sea_orm(primary_key, auto_increment = false)] level: i32,
    name_es: String,
    name_en: String,
    colour: String,
});

entity!(priority_matrix_cell, "priority_matrix", {
    #[sea_orm(primary_key, auto_increment = false)] impact: i32,
    #[sea_orm(primary_key, auto_increment = false)] urgency: i32,
    priority: i32,
});

entity!(ticket_type, "ticket_types", {
    #[sea_orm(primary_key, auto_increment = false)] key: String,
    name_es: String,
    name_en: String,
    position: i32,
    active: bool,
});

entity!(calendar, "calendars", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    time_zone: String,
    created_at: i64,
});

entity!(calendar_hours, "calendar_hours", {
    #[sea_orm(primary_key, auto_increment = false)] calendar_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] weekday: i32,
    start_minute: i32,
    end_minute: i32,
});

entity!(holiday, "holidays", {
    #[sea_orm(primary_key)] id: i64,
    calendar_id: i64,
    date: String,
    yearly: bool,
    name: String,
});

entity!(sla_plan, "sla_plans", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    calendar_id: Option<i64>,
    pause_when_pending: bool,
    active: bool,
    created_at: i64,
    warn_percent: Option<i32>,
    warn_actions: String,
    breach_actions: String,
    escalate_to_department_id: Option<i64>,
});

entity!(sla_firing, "sla_firings", {
    #[sea_orm(primary_key, auto_increment = false)] ticket_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] target: String,
    #[sea_orm(primary_key, auto_increment = false)] threshold: String,
    fired_at: i64,
});

entity!(scheduled_task, "scheduled_tasks", {
    #[sea_orm(primary_key, auto_increment = false)] task: String,
    next_run_at: i64,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
    last_started_at: Option<i64>,
    last_finished_at: Option<i64>,
    last_error: Option<String>,
    failures: i32,
    runs: i64,
});

entity!(time_rule, "time_rules", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    department_id: Option<i64>,
    condition: String,
    minutes: i32,
    action: String,
    target_department_id: Option<i64>,
    active: bool,
    updated_at: i64,
});

entity!(time_rule_firing, "time_rule_firings", {
    #[sea_orm(primary_key, auto_increment = false)] rule_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] ticket_id: i64,
    fired_at: i64,
});

entity!(sla_target, "sla_targets", {
    #[sea_orm(primary_key, auto_increment = false)] plan_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] priority: i32,
    first_response_minutes: i32,
    resolution_minutes: i32,
});

entity!(agent_invite, "agent_invites", {
    #[sea_orm(primary_key, auto_increment = false)] token_hash: String,
    agent_id: i64,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
});

entity!(requester_merge, "requester_merges", {
    #[sea_orm(primary_key, auto_increment = false)] merged_id: i64,
    into_id: i64,
    created_at: i64,
});

entity!(mail_template, "mail_templates", {
    #[sea_orm(primary_key, auto_increment = false)] kind: String,
    #[sea_orm(primary_key, auto_increment = false)] language: String,
    subject: String,
    text_body: String,
    html_body: Option<String>,
    updated_at: i64,
});

entity!(routing_rule, "routing_rules", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    position: i32,
    active: bool,
    match_all: bool,
    stop: bool,
    conditions: String,
    actions: String,
    updated_at: i64,
});

entity!(ticket_tag, "ticket_tags", {
    #[sea_orm(primary_key, auto_increment = false)] ticket_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] tag: String,
});

entity!(setting, "settings", {
    #[sea_orm(primary_key, auto_increment = false)] key: String,
    value: String,
    data: Option<Vec<u8>>,
    updated_at: i64,
});

entity!(mail_account, "mail_accounts", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    protocol: String,
    host: String,
    port: i32,
    security: String,
    username: String,
    password_secret: String,
    address: Option<String>,
    folder: Option<String>,
    after_import: String,
    move_to: Option<String>,
    poll_seconds: i32,
    department_id: Option<i64>,
    help_topic_id: Option<i64>,
    active: bool,
    locked_until: Option<i64>,
    last_polled_at: Option<i64>,
    last_error: Option<String>,
    updated_at: i64,
});

entity!(mail_inbound, "mail_inbound", {
    #[sea_orm(primary_key)] id: i64,
    account_id: Option<i64>,
    remote_key: Option<String>,
    message_id: Option<String>,
    sha256: String,
    size: i64,
    status: String,
    reason: Option<String>,
    sender: Option<String>,
    subject: Option<String>,
    ticket_id: Option<i64>,
    entry_id: Option<i64>,
    attempts: i32,
    received_at: i64,
    processed_at: Option<i64>,
});

entity!(mail_message_id, "mail_message_ids", {
    #[sea_orm(primary_key, auto_increment = false)] message_id: String,
    ticket_id: i64,
    entry_id: Option<i64>,
    outbound: bool,
    created_at: i64,
});

entity!(mail_autoreply, "mail_autoreplies", {
    #[sea_orm(primary_key)] id: i64,
    address: String,
    sent_at: i64,
});

// The requester columns of the mail channel, apart so the requester rows written elsewhere
// need not name them.
entity!(requester_mail, "requesters", {
    #[sea_orm(primary_key)] id: i64,
    mail_bounced_at: Option<i64>,
    mail_bounce_reason: Option<String>,
});
